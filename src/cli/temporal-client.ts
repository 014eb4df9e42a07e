import type { Client } from '@temporalio/client';
import type { Config } from '../config';

/** Connects a Temporal client for one command and closes it afterwards (loaded on use: it is slow to load). */
export async function withTemporal<T>(
  config: Config,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const { connectClient } =
    require('../temporal/connection') as typeof import('../temporal/connection');
  const client = await connectClient(config.temporal);
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}
