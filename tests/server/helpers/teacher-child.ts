// A server in its own process (to be killed mid-batch by a test): the openai teacher against the
// upstream in TEACHER_TEST_UPSTREAM, caching under TEACHER_TEST_CACHE_DIR. Prints its URL.
import { buildServer } from '../../../server/app.ts';
import { teacherOptions } from './teacher-server.ts';

const { options } = teacherOptions(process.env.TEACHER_TEST_CACHE_DIR!, process.env.TEACHER_TEST_UPSTREAM!, { pairConcurrency: 1 }, { concurrency: 1 });
const app = await buildServer({ teacher: options });
console.log(await app.listen({ host: '127.0.0.1', port: 0 }));
