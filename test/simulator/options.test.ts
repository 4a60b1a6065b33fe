import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseLatency, parseOutage, registerServe, serveOptionsFromFlags } from '../../src/cli/serve.js';
import { ConfigError } from '../../src/errors.js';
import { resolveSimulatorOptions, simulatorProfiles, type SimulatorOptions } from '../../src/simulator/index.js';

function problemsOf(options: unknown): string[] {
  try {
    resolveSimulatorOptions(options as SimulatorOptions);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('simulator options', () => {
  it('resolves the profiles as documented', () => {
    const calm = resolveSimulatorOptions({ profile: 'calm' });
    expect(calm).toMatchObject({ rateLimit: 0, serverErrorRate: 0, latency: { kind: 'none' }, dirtyRate: 0, duplicateRate: 0 });
    const flaky = resolveSimulatorOptions();
    expect(flaky.profile).toBe('flaky');
    expect(flaky).toMatchObject({ rateLimit: 10, tokenLifetimeSeconds: 60, latency: { kind: 'uniform', minMs: 20, maxMs: 200 } });
    expect(flaky.serverErrorRate + flaky.unavailableRate).toBeCloseTo(0.1);
    expect(flaky).toMatchObject({
      username: 'demo',
      password: 'demo-password',
      maxPageSize: 1000,
      seed: 1,
      records: 100_000,
      orders: 100_000,
    });
    const hostile = resolveSimulatorOptions({ profile: 'hostile' });
    for (const key of ['resetRate', 'truncateRate', 'wrongContentRate', 'trickleRate', 'slowRate', 'dirtyRate', 'duplicateRate'] as const) {
      expect(hostile[key], key).toBeGreaterThan(0);
    }
    expect(hostile.outages.length).toBeGreaterThan(0);
    expect(hostile.rateLimit).toBeLessThan(flaky.rateLimit);
    expect(hostile.tokenLifetimeSeconds).toBeLessThan(10);
    expect(Object.keys(simulatorProfiles)).toEqual(['calm', 'flaky', 'hostile']);
  });

  it('lets every knob override the profile', () => {
    const o = resolveSimulatorOptions({ profile: 'hostile', rateLimit: 0, dirtyRate: 0, records: 7, maxPageSize: 50, outages: [] });
    expect(o).toMatchObject({ rateLimit: 0, dirtyRate: 0, records: 7, orders: 7, maxPageSize: 50, defaultPageSize: 50, outages: [] });
    expect(o.resetRate).toBe(simulatorProfiles.hostile.resetRate);
  });

  it('lists every problem at once, each naming its option', () => {
    const problems = problemsOf({ profile: 'wild', dirtyRate: 2, records: -1, colour: 'red', latency: { kind: 'uniform', minMs: 5 } });
    expect(problems.some((p) => p.includes('"profile"'))).toBe(true);
    expect(problems.some((p) => p.includes('"dirtyRate"'))).toBe(true);
    expect(problems.some((p) => p.includes('"records"'))).toBe(true);
    expect(problems.some((p) => p.includes('colour'))).toBe(true);
    expect(problems.some((p) => p.includes('"latency.maxMs"'))).toBe(true);
    expect(problemsOf({ serverErrorRate: 0.6, unavailableRate: 0.6 }).join()).toMatch(/serverErrorRate.*above 1/);
    expect(problemsOf({ outages: [{ startMs: 5, endMs: 5 }] }).join()).toMatch(/outages\.0/);
    expect(problemsOf({ defaultPageSize: 500, maxPageSize: 100 }).join()).toMatch(/defaultPageSize/);
  });
});

describe('serve flags', () => {
  function parse(args: string[]): SimulatorOptions {
    const program = new Command('ingest').exitOverride();
    registerServe(program);
    const serve = program.commands.find((c) => c.name() === 'serve')!;
    let flags: Record<string, unknown> = {};
    serve.action((opts: Record<string, unknown>) => {
      flags = opts;
    });
    program.parse(['serve', ...args], { from: 'user' });
    return serveOptionsFromFlags(flags, {});
  }

  it('maps each flag to its option and leaves unset knobs to the profile', () => {
    expect(parse([])).toEqual({});
    const options = parse([
      '--profile',
      'hostile',
      '--seed',
      '9',
      '--records',
      '10000000',
      '--rate-limit',
      '2.5',
      '--rate-limit-burst',
      '5',
      '--no-rate-limit-headers',
      '--rate-limit-policy',
      '--token-lifetime',
      '3',
      '--latency',
      'lognormal:50,0.5',
      '--server-error-rate',
      '0.2',
      '--outage',
      '10-20',
      '--outage',
      '30s-45s',
      '--dirty-rate',
      '0.3',
      '--duplicate-rate',
      '0.1',
      '--max-page-size',
      '500',
      '--no-faults-on-login',
      '--trickle-interval-ms',
      '100',
    ]);
    expect(options).toEqual({
      profile: 'hostile',
      seed: 9,
      records: 10_000_000,
      rateLimit: 2.5,
      rateLimitBurst: 5,
      rateLimitHeaders: false,
      rateLimitPolicyHeader: true,
      tokenLifetimeSeconds: 3,
      latency: { kind: 'lognormal', medianMs: 50, sigma: 0.5 },
      serverErrorRate: 0.2,
      outages: [
        { startMs: 10_000, endMs: 20_000 },
        { startMs: 30_000, endMs: 45_000 },
      ],
      dirtyRate: 0.3,
      duplicateRate: 0.1,
      maxPageSize: 500,
      faultsOnLogin: false,
      trickleIntervalMs: 100,
    });
    expect(() => resolveSimulatorOptions(options)).not.toThrow();
    expect(serveOptionsFromFlags({}, { INGEST_SERVE_PASSWORD: 's3cret' })).toEqual({ password: 's3cret' });
  });

  it('parses latency and outage specs and rejects nonsense', () => {
    expect(parseLatency('none')).toEqual({ kind: 'none' });
    expect(parseLatency('fixed:40')).toEqual({ kind: 'fixed', ms: 40 });
    expect(parseLatency('uniform:20-200')).toEqual({ kind: 'uniform', minMs: 20, maxMs: 200 });
    for (const bad of ['', 'uniform', 'uniform:20', 'gauss:1,2', 'fixed:-3', 'lognormal:a,b'])
      expect(() => parseLatency(bad), bad).toThrow();
    expect(parseOutage('none', [{ startMs: 1, endMs: 2 }])).toEqual([]);
    expect(parseOutage('1.5-2', undefined)).toEqual([{ startMs: 1500, endMs: 2000 }]);
    for (const bad of ['10', '10-', 'a-b', '-5-10']) expect(() => parseOutage(bad, undefined), bad).toThrow();
  });
});
