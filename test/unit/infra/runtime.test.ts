import { describe, expect, it } from 'vitest';
import { EDGE_RUNTIME } from '../../../infra/edge-stack';

describe('the runtime we deploy is the runtime we test', () => {
  it('runs the tests on the Node.js major both functions are deployed on', () => {
    const deployed = /^nodejs(\d+)\.x$/.exec(EDGE_RUNTIME.name)?.[1];
    expect(deployed).toBeDefined();
    expect(process.versions.node.split('.')[0]).toBe(deployed);
  });
});
