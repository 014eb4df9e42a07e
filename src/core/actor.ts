import os from 'node:os';

/**
 * Who acts from this machine: `cli:<user>`, recorded with the runs a command starts and in the
 * audit log. PARCELWATCH_ACTOR names the person when the OS account is shared (a CI job, a bastion).
 */
export function currentActor(env: NodeJS.ProcessEnv = process.env): string {
  const user = env.PARCELWATCH_ACTOR?.trim() || os.userInfo().username;
  return `cli:${user}`;
}
