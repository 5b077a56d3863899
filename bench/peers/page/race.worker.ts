// The bench page's worker for the WASM race: runs it, posts each log line, then the report or the error.
import { race, type RaceRequest } from './race.ts';

self.onmessage = (e: MessageEvent<RaceRequest>) => {
  race(e.data, (line) => self.postMessage({ log: line }))
    .then((report) => self.postMessage({ report }))
    .catch((err: Error) => self.postMessage({ error: err.message }));
};
