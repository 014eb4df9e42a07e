// Mocha global fixtures: services start lazily in test/helpers/services.ts; this stops them after the run.
import { stopServices } from '../helpers/services';

export async function mochaGlobalTeardown(): Promise<void> {
  await stopServices();
}
