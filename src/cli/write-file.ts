import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes a file through a temporary sibling and a rename: readers never see half a file. */
export async function writeTextAtomically(file: string, text: string): Promise<void> {
  const target = path.resolve(file);
  const temporary = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.partial`,
  );
  try {
    await writeFile(temporary, text);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
