import assert from 'node:assert/strict';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../src/telemetry/temporal';
import { WORKFLOWS_PATH } from '../../src/workers/worker';
import { loadHistories } from '../helpers/histories';
import { ensureTestRuntime } from '../helpers/workers';

const corpus = loadHistories();

describe('replay of the recorded histories with the OpenTelemetry workflow interceptors', function () {
  this.timeout(300_000);

  it('replays every history of the corpus with tracing on, and the interceptors do run (they make workflow spans)', async () => {
    ensureTestRuntime();
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
      logger: new DefaultLogger('ERROR'),
    });
    const spanNames = new Set<string>();
    const results = Worker.runReplayHistories(
      {
        workflowBundle,
        replayName: 'parcelwatch-replay-traced',
        sinks: {
          // The interceptors' sink, called during replay too so we see the spans they make.
          exporter: {
            export: {
              fn: (_info, spans: Array<{ name: string }>) => {
                for (const span of spans) spanNames.add(span.name);
              },
              callDuringReplay: true,
            },
          },
        },
      },
      corpus.map(({ name, history }) => ({ workflowId: name, history })),
    );
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of results) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, corpus.length);
    assert.deepEqual(failures, []);
    for (const name of [
      'RunWorkflow:weeklyRun',
      'RunWorkflow:processGroup',
      'StartActivity:searchScenes',
    ])
      assert.ok(spanNames.has(name), `no ${name} span among ${[...spanNames].join(', ')}`);
  });
});
