import { describe, expect, it } from 'vitest';
import { href, parseHash } from '../../src/app/lib/hash-route.ts';

describe('hash routes', () => {
  it('parses area, rest and query, and builds the same hash back', () => {
    const h = href('review', ['data set/1'], { sort: 'confidence' });
    expect(h).toBe('#/review/data%20set%2F1?sort=confidence');
    const r = parseHash(h);
    expect(r.area).toBe('review');
    expect(r.rest).toEqual(['data set/1']);
    expect(r.query.get('sort')).toBe('confidence');
    expect(r.share).toBeNull();
  });

  it('an empty hash names no area', () => {
    expect(parseHash('')).toMatchObject({ area: '', rest: [], share: null });
    expect(parseHash('#/')).toMatchObject({ area: '', rest: [] });
  });

  it('a share link is recognised whole, not as a path', () => {
    const r = parseHash('#x=abc-_&s=def');
    expect(r.share).toBe('#x=abc-_&s=def');
    expect(r.area).toBe('');
  });
});
