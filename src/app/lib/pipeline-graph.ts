// The experiment's pipeline as a graph (pure): dataset → black-box teacher labels → seed set →
// in-house teacher → stages, each stage drawn after the model it learns from (chains of any
// depth), plus which node a run's phase belongs to, for highlighting the live phase.
import { modelLabel, SEED_SOURCE, type ExperimentConfig } from '../../experiment/schema.ts';

export interface GraphNode {
  /** 'dataset' | 'labels' | 'seed-set' | 'teacher' | a stage id. */
  id: string;
  kind: 'dataset' | 'labels' | 'seed-set' | 'teacher' | 'stage';
  title: string;
  detail: string;
  /** Column and row in the grid (column = distance from the data). */
  col: number;
  row: number;
  /** Index into config.stages for stage nodes. */
  stage?: number;
}

export interface GraphEdge {
  from: string;
  to: string;
}

export interface PipelineGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  cols: number;
  rows: number;
}

function datasetDetail(d: ExperimentConfig['dataset']): string {
  if (d.demo) return `demo · seed ${d.demo.seed} · ${d.demo.n} pairs`;
  if (d.id) return `stored · ${d.id}`;
  return d.path ? `file · ${d.path}` : 'demo';
}

export function pipelineGraph(config: ExperimentConfig): PipelineGraph {
  const seedSet = config.seedSet.policy === 'auto-accept' ? `auto-accept ≥ ${config.seedSet.minConfidence}` : config.seedSet.policy;
  const nodes: GraphNode[] = [
    { id: 'dataset', kind: 'dataset', title: 'Dataset', detail: datasetDetail(config.dataset), col: 0, row: 0 },
    { id: 'labels', kind: 'labels', title: 'Teacher labels', detail: `${config.teacher.provider}${config.teacher.model ? ` · ${config.teacher.model}` : ''}`, col: 1, row: 0 },
    { id: 'seed-set', kind: 'seed-set', title: 'Seed set', detail: seedSet, col: 2, row: 0 },
    { id: 'teacher', kind: 'teacher', title: 'In-house teacher', detail: `${modelLabel(config.inHouseTeacher)} decoder · ${config.inHouseTeacher.steps} steps`, col: 3, row: 0 },
  ];
  const edges: GraphEdge[] = [
    { from: 'dataset', to: 'labels' },
    { from: 'labels', to: 'seed-set' },
    { from: 'seed-set', to: 'teacher' },
  ];
  const colOf = new Map<string, number>([['seed-set', 2], ['teacher', 3]]);
  // A stage that learns from the seed set sits under the in-house teacher, so its edge is seen to
  // leave the seed set (not to pass under the teacher).
  const nodeOfSource = (source: string) => (source === SEED_SOURCE ? 'seed-set' : source);
  // The teacher's column starts with the teacher in its first row.
  const rowsUsed = new Map<number, number>([[colOf.get('teacher')!, 1]]);
  config.stages.forEach((s, i) => {
    const col = (colOf.get(nodeOfSource(s.source)) ?? 3) + 1;
    colOf.set(s.id, col);
    const row = rowsUsed.get(col) ?? 0;
    rowsUsed.set(col, row + 1);
    const model = s.task === 'explain' ? 'decoder' : 'encoder';
    nodes.push({ id: s.id, kind: 'stage', title: s.id, detail: `${s.task} · ${modelLabel(s.student)} ${model} · ${s.loss.divergence}`, col, row, stage: i });
    edges.push({ from: nodeOfSource(s.source), to: s.id });
  });
  return { nodes, edges, cols: Math.max(...nodes.map((n) => n.col)) + 1, rows: Math.max(1, ...rowsUsed.values()) };
}

/** The graph node a run phase belongs to ("stage:mid" → "mid", "synthetic" → "teacher"). */
export function nodeOfPhase(phase: string): string {
  if (phase === 'teacher-labels') return 'labels';
  if (phase === 'vocabulary') return 'dataset';
  if (phase === 'seed-set') return 'seed-set';
  if (phase === 'in-house-teacher' || phase === 'synthetic' || phase === 'evaluate:teacher') return 'teacher';
  const m = /^(?:stage|evaluate):(.+)$/.exec(phase);
  return m ? m[1]! : phase;
}
