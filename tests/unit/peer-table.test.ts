// The peer table's arithmetic: answer differences and speed ratios (time rows invert).
import { describe, expect, it } from 'vitest';
import { answerDifference, formatPeerTable, speedRatio, type PeerReport, type PeerRow } from '../../bench/peers/run.ts';

const cell = (value: number | null, error?: string) => ({ value, seconds: value, difference: 0, ...(error ? { error } : {}) });

describe('peer table', () => {
  it('measures answer differences against the reference scale, NaN as infinitely far', () => {
    expect(answerDifference([1, 2.001], [1, 2])).toBeCloseTo(0.0005, 9);
    expect(answerDifference([Number.NaN], [1])).toBe(Infinity);
    expect(answerDifference([1], [1, 2])).toBe(Infinity);
  });

  it('gives speed ratios above 1 when ours is faster, for rates and for times', () => {
    const rate: PeerRow = { kind: 'matmul', name: 'm', label: '', unit: 'GFLOP/s', higherIsBetter: true, cells: { ours: cell(3), peer: cell(2) } };
    const time: PeerRow = { kind: 'dispatch', name: 't', label: '', unit: 'µs', higherIsBetter: false, cells: { ours: cell(50), peer: cell(100) } };
    expect(speedRatio(rate, 'ours', 'peer')).toBeCloseTo(1.5);
    expect(speedRatio(time, 'ours', 'peer')).toBeCloseTo(2);
    const failed: PeerRow = { ...rate, cells: { ours: cell(3), peer: cell(null, 'failed: boom') } };
    expect(speedRatio(failed, 'ours', 'peer')).toBeNull();
    const report: PeerReport = { environment: 'node', adapter: 'A', features: [], contenders: [{ name: 'ours', detail: '' }, { name: 'peer', detail: '' }], rows: [rate, failed] };
    const table = formatPeerTable(report);
    expect(table).toContain('1.50×');
    expect(table).toContain('m: peer failed: boom');
  });
});
