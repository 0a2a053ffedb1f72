/**
 * The pure pieces of `npm run bench`: percentiles, the key/value report, Prometheus diffs, CPU
 * profile self times, history event counts, /proc parsing and Linux `perf script` stacks. The bench itself is a script, not a
 * timed test; these make sure the figures it prints are computed right.
 */
import { percentile, summarize } from '../../scripts/bench/stats';
import { nest, Report } from '../../scripts/bench/report';
import { diffSamples, groupBy, parsePrometheus, totalsByName } from '../../scripts/bench/prometheus';
import { addSelfTimes, packageOf, top, type CpuProfile } from '../../scripts/bench/cpu-profile';
import { countEvents, eventTypeName } from '../../scripts/bench/history';
import { cpuDelta, cpuMsByThread, parseStat, threadCpuDelta } from '../../scripts/bench/proc';
import { goPackageOf, inclusiveShare, parsePerfScript, selfByPackage } from '../../scripts/bench/perf-script';

describe('percentiles', () => {
  test('nearest rank over 1..100', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  test('summarize sorts its input first', () => {
    expect(summarize([30, 10, 20, 40])).toEqual({ count: 4, p50: 20, p95: 40, p99: 40, max: 40 });
  });
});

describe('report', () => {
  test('prints one key: value line per figure, rounded, and nests the keys for JSON', () => {
    const lines: string[] = [];
    const r = new Report((l) => lines.push(l));
    r.set('throughput.delivered_per_s', 30.6666);
    r.set('throughput.latency_ms.p50', 12.25, 2);
    r.set('machine.cores', 2);
    expect(lines).toEqual(['throughput.delivered_per_s: 30.7', 'throughput.latency_ms.p50: 12.25', 'machine.cores: 2']);
    expect(r.toJSON()).toEqual({ throughput: { delivered_per_s: 30.7, latency_ms: { p50: 12.25 } }, machine: { cores: 2 } });
  });

  test('a key that is both a value and a prefix keeps the value under _', () => {
    expect(nest([['a', 1], ['a.b', 2]])).toEqual({ a: { _: 1, b: 2 } });
    expect(nest([['a.b', 2], ['a', 1]])).toEqual({ a: { _: 1, b: 2 } });
  });
});

describe('prometheus', () => {
  const before = parsePrometheus(`# HELP persistence_requests x
# TYPE persistence_requests counter
persistence_requests{operation="UpdateWorkflowExecution",service_name="history"} 10
persistence_requests{operation="AppendHistoryNodes",service_name="history"} 4
lat_bucket{le="1"} 3
`);
  const after = parsePrometheus(`persistence_requests{operation="UpdateWorkflowExecution",service_name="history"} 25
persistence_requests{operation="AppendHistoryNodes",service_name="history"} 9
persistence_requests{operation="CreateWorkflowExecution",service_name="history"} 2
persistence_requests{service_name="frontend"} 1
lat_bucket{le="1"} 8
weird{msg="a \\"quoted\\" value"} 1 1700000000000
# TYPE memory_heap gauge
memory_heap 123456
# TYPE lat histogram
lat_sum 2.5
lat_count 8
`);

  test('parses names, labels (escaped quotes too) and values, skipping comments and timestamps', () => {
    expect(before).toHaveLength(3);
    expect(before[0].type).toBe('counter');
    expect(after.find((s) => s.name === 'lat_sum')?.type).toBe('histogram');
    expect(after.find((s) => s.name === 'weird')).toEqual({ name: 'weird', labels: { msg: 'a "quoted" value' }, value: 1 });
  });

  test('diffs per series and groups by a label, largest first; new series count from 0; gauges and histogram sums are not totals', () => {
    const d = diffSamples(before, after);
    expect(groupBy(d, 'persistence_requests', 'operation')).toEqual([
      ['UpdateWorkflowExecution', 15],
      ['AppendHistoryNodes', 5],
      ['CreateWorkflowExecution', 2],
      ['(none)', 1],
    ]);
    expect(groupBy(d, 'persistence_requests', ['service_name', 'operation'])).toEqual([
      ['history.UpdateWorkflowExecution', 15],
      ['history.AppendHistoryNodes', 5],
      ['history.CreateWorkflowExecution', 2],
      ['frontend.(none)', 1],
    ]);
    expect(totalsByName(d)).toEqual([
      ['persistence_requests', 23],
      ['lat_count', 8],
      ['weird', 1],
    ]);
  });
});

describe('cpu profile self times', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
      { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      { id: 3, callFrame: { functionName: 'serialize', url: 'file:///w/node_modules/bson/lib/bson.cjs', lineNumber: 9 } },
      { id: 4, callFrame: { functionName: 'deliver', url: 'file:///w/activities/deliver.ts', lineNumber: 41 } },
      { id: 5, callFrame: { functionName: 'poll', url: 'file:///w/node_modules/@temporalio/worker/lib/worker.js', lineNumber: 0 } },
      { id: 6, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
    ],
    // Each sample owns the delta to the next one: 3 → 100, 4 → 50, 2 → 1000, 3 → 30, 5 → 20, 6 → 10, last → 0.
    samples: [3, 4, 2, 3, 5, 6, 4],
    timeDeltas: [5, 100, 50, 1000, 30, 20, 10],
    startTime: 0,
    endTime: 1215,
  };

  test('sums self time by function, package and file, idle counted apart', () => {
    const t = addSelfTimes(profile, undefined, '/w');
    expect(t.totalUs).toBe(1210);
    expect(t.idleUs).toBe(1000);
    expect(top(t.byFunction, 2)).toEqual([
      ['serialize bson/lib/bson.cjs:10', 130],
      ['deliver activities/deliver.ts:42', 50],
    ]);
    expect(Object.fromEntries(t.byPackage)).toEqual({ bson: 130, 'herald:activities/deliver.ts': 50, '@temporalio/worker': 20, '(garbage collector)': 10 });
  });

  test('a window (monotonic µs, as the bench prints per phase) keeps only the samples taken inside it', () => {
    // Sample times: 5, 105, 155, 1155, 1185, 1205, 1215.
    const t = addSelfTimes(profile, undefined, '/w', [100, 160]);
    expect(t.totalUs).toBe(1050);
    expect(t.idleUs).toBe(1000);
    expect([...t.byFunction]).toEqual([['deliver activities/deliver.ts:42', 50]]);
  });

  test('package names: scoped packages, node internals, native frames', () => {
    expect(packageOf('file:///a/node_modules/x/node_modules/@scope/pkg/lib/i.js', 'f')).toBe('@scope/pkg');
    expect(packageOf('node:internal/streams/readable', 'read')).toBe('node:internal/streams');
    expect(packageOf('', '(program)')).toBe('(program)');
    expect(packageOf('', 'writev')).toBe('(native)');
  });
});

describe('history counts', () => {
  test('names event types from their attributes field and counts local activity markers', () => {
    const e = (key: string, extra: object = {}) => ({ eventId: 1, [key]: { ...extra } });
    const histories = [
      {
        events: [
          e('workflowExecutionStartedEventAttributes'),
          e('workflowTaskScheduledEventAttributes'),
          e('workflowTaskCompletedEventAttributes'),
          { markerRecordedEventAttributes: { markerName: 'core_local_activity' } },
          e('activityTaskScheduledEventAttributes'),
        ],
      },
      { events: [e('workflowExecutionStartedEventAttributes'), { markerRecordedEventAttributes: { markerName: 'other' } }] },
    ];
    const c = countEvents(histories);
    expect(c.workflows).toBe(2);
    expect(c.events).toBe(7);
    expect(c.localActivityMarkers).toBe(1);
    expect(c.byType.get('WorkflowExecutionStarted')).toBe(2);
    expect(c.byType.get('MarkerRecorded')).toBe(2);
    expect(eventTypeName({ eventType: 5, activityTaskScheduledEventAttributes: null })).toBe('type5');
  });
});

describe('/proc accounting', () => {
  test('reads utime and stime after a comm that holds spaces and parens', () => {
    const stat = '4242 (tokio (rt) w) S 1 2 3 4 5 6 7 8 9 10 1234 567 0 0 20 0 9 0 100 200 300';
    expect(parseStat(stat)).toEqual({ comm: 'tokio (rt) w', utime: 1234, stime: 567 });
  });

  test('per-thread CPU names the main thread apart from the other threads called node', () => {
    let x = 0;
    for (let i = 0; i < 2e7; i++) x += i % 7;
    expect(x).toBeGreaterThan(0);
    const threads = cpuMsByThread(process.pid);
    expect(threads.get('main')).toBeGreaterThan(0);
  });

  test('cpu deltas per process and in total', () => {
    const d = cpuDelta(new Map([['node', 100], ['temporal', 50]]), new Map([['node', 160], ['temporal', 80]]));
    expect(Object.fromEntries(d)).toEqual({ node: 60, temporal: 30, total: 90 });
  });
});

describe('perf script stacks (scripts/perf-summary.ts)', () => {
  const output = [
    'temporal 27902/27910 1234.5: 2004008 cpu-clock:ppp: ',
    '\t  4a1b2c modernc.org/sqlite/lib._sqlite3VdbeExec+0x1f (/cache/temporal)',
    '\t  4a0000 go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite.(*db).InsertIntoVisibility+0x90 (/cache/temporal)',
    '\t  400000 runtime.goexit.abi0+0x1 (/cache/temporal)',
    '',
    'temporal 27902/27911 1234.6: 2004008 cpu-clock:ppp: ',
    '\t  4c0000 go.temporal.io/server/service/history.(*Handler).StartWorkflowExecution+0x10 (/cache/temporal)',
    '',
    'temporal 27902/27912 1234.7: 2004008 cpu-clock:ppp: ',
    '\t  410000 runtime.mallocgc+0x2 (/cache/temporal)',
    '',
  ];

  test('one stack per sample, leaf first, offsets dropped', () => {
    const samples = parsePerfScript(output);
    expect(samples).toHaveLength(3);
    expect(samples[0]).toEqual([
      'modernc.org/sqlite/lib._sqlite3VdbeExec',
      'go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite.(*db).InsertIntoVisibility',
      'runtime.goexit.abi0',
    ]);
    expect(samples[2]).toEqual(['runtime.mallocgc']);
  });

  test('inclusive shares count a sample once if any frame matches; self time goes to the leaf package', () => {
    const samples = parsePerfScript(output);
    expect(inclusiveShare(samples, /[Vv]isibility/)).toBeCloseTo(1 / 3);
    expect(inclusiveShare(samples, /modernc\.org\/sqlite|service\/history/)).toBeCloseTo(2 / 3);
    expect(inclusiveShare([], /x/)).toBeNaN();
    expect(selfByPackage(samples)).toEqual([
      ['modernc.org/sqlite/lib', 1],
      ['go.temporal.io/server/service/history', 1],
      ['runtime', 1],
    ]);
    expect(goPackageOf('go.temporal.io/server/service/history/queues.(*executableImpl).Execute')).toBe('go.temporal.io/server/service/history');
  });
});

describe('CPU per thread between two readings', () => {
  test('threads that used CPU, largest first; new threads count from zero, idle ones are left out', () => {
    const before = new Map([['main', 100], ['node', 50], ['tokio-runtime-w', 10]]);
    const after = new Map([['main', 130], ['node', 150], ['tokio-runtime-w', 10], ['workflow-proces', 4]]);
    expect(threadCpuDelta(before, after)).toEqual([
      ['node', 100],
      ['main', 30],
      ['workflow-proces', 4],
    ]);
  });
});
