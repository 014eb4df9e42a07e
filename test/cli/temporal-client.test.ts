import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { runCli } from '../helpers/cli';
import { testDatabase, testTemporal } from '../helpers/services';

/** A stand-in OTLP/HTTP collector: records the path and bytes of every export it receives. */
async function otlpReceiver(): Promise<{
  server: Server;
  url: string;
  received: Array<{ path: string; body: Buffer }>;
}> {
  const received: Array<{ path: string; body: Buffer }> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', body: Buffer.concat(chunks) });
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, received };
}

describe('CLI tracing of Temporal calls (real Temporal dev server)', function () {
  this.timeout(120_000);

  it('exports the span of the workflow a command started, under the parcelwatch-cli service, when an OTLP endpoint is set', async () => {
    const temporal = await testTemporal();
    const database = await testDatabase();
    const receiver = await otlpReceiver();
    // No worker polls this queue: the run only has to start (and be recorded in the audit log).
    const env = {
      DATABASE_URL: database.url,
      PARCELWATCH_DB_SCHEMA: database.schema,
      TEMPORAL_ADDRESS: temporal.address,
      PARCELWATCH_TASK_QUEUE_IO: `cli-tracing-${Date.now()}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    };
    let workflowId: string | undefined;
    try {
      const result = await runCli(['run', '--week', '2019-W02', '--json'], env);
      assert.equal(result.code, 0, result.stderr);
      workflowId = (JSON.parse(result.stdout) as { workflowId: string }).workflowId;
      const traces = receiver.received.filter((r) => r.path === '/v1/traces');
      assert.equal(traces.length >= 1, true, 'no trace export reached the collector');
      const bytes = Buffer.concat(traces.map((t) => t.body)).toString('latin1');
      assert.match(bytes, /parcelwatch-cli/);
      assert.match(bytes, /StartWorkflow:weeklyRun/);
      // Metrics are off for a command that lives a few seconds.
      assert.equal(
        receiver.received.some((r) => r.path === '/v1/metrics'),
        false,
      );
    } finally {
      receiver.server.close();
      if (workflowId) {
        const connection = await Connection.connect({ address: temporal.address });
        const client = new Client({ connection, namespace: temporal.namespace });
        await client.workflow.getHandle(workflowId).terminate('test over');
        await connection.close();
      }
    }
  });
});
