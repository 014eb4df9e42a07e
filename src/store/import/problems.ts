import { BadInputError } from '../../core/errors';

/**
 * Rows an import rejects, and the error that reports them: the first few by row number with
 * their external id and reason, and how many there are in all.
 */

/** Rows named in the error; the count says how many more. */
export const MAX_NAMED_PROBLEMS = 10;

export interface RowProblem {
  /** 1-based row of the file. */
  row: number;
  externalId: string | undefined;
  reason: string;
}

/** Keeps the first rows (by row number) and counts them all, in bounded memory. */
export class ProblemList {
  private readonly kept: RowProblem[] = [];
  total = 0;

  add(problem: RowProblem, count = 1): void {
    this.total += count;
    this.kept.push(problem);
    if (this.kept.length > 4 * MAX_NAMED_PROBLEMS) this.trim();
  }

  /** Adds problems already counted elsewhere (a SQL query's `LIMIT`ed rows and its total). */
  addCounted(problems: RowProblem[], total: number): void {
    this.total += total;
    this.kept.push(...problems);
    this.trim();
  }

  first(): RowProblem[] {
    this.trim();
    return [...this.kept];
  }

  private trim(): void {
    this.kept.sort((a, b) => a.row - b.row);
    this.kept.length = Math.min(this.kept.length, MAX_NAMED_PROBLEMS);
  }
}

/** One row as people read it: `row 37 (id "37")`. */
export function describeRow(problem: Pick<RowProblem, 'row' | 'externalId'>): string {
  return `row ${problem.row}${problem.externalId === undefined ? '' : ` (id "${problem.externalId}")`}`;
}

/** The import refused the file; nothing was written. */
export class ImportRejectedError extends BadInputError {
  constructor(
    readonly file: string,
    readonly read: number,
    readonly rejected: number,
    readonly problems: RowProblem[],
  ) {
    const lines = problems.map((p) => `  ${describeRow(p)}: ${p.reason}`);
    const more = rejected - problems.length;
    if (more > 0) lines.push(`  … and ${more} more`);
    super(
      `${file}: ${rejected} of ${read} parcel${read === 1 ? '' : 's'} rejected, nothing was imported:\n${lines.join('\n')}`,
      { code: 'IMPORT_REJECTED' },
    );
  }
}
