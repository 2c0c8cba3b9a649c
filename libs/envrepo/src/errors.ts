/**
 * RenderError: why an environment could not be loaded, or one (cluster, component) could not be
 * rendered, in words an operator can act on, with the file and line where the problem is.
 */
import { InvalidInputError } from '@driftless/contracts';

export interface RenderProblem {
  /** Repository-relative path of the file at fault, e.g. `driftless.yaml`. */
  readonly file?: string | undefined;
  /** 1-based line in that file. */
  readonly line?: number | undefined;
  /** Dotted path inside the file, e.g. `clusters.prod-eu.stage`. */
  readonly path?: string | undefined;
  /** What is wrong and, where it helps, how to fix it. */
  readonly reason: string;
}

export interface RenderErrorScope {
  readonly cluster?: string;
  readonly component?: string;
  readonly cause?: unknown;
}

const MAX_PROBLEMS_IN_REASON = 5;

function describe(problem: RenderProblem): string {
  const where = problem.file === undefined ? '' : problem.line === undefined ? `${problem.file}: ` : `${problem.file}:${problem.line}: `;
  return `${where}${problem.path === undefined ? '' : `${problem.path}: `}${problem.reason}`;
}

/**
 * A problem in the repository's content. Retrying never helps (it is an InvalidInputError):
 * a new commit has to fix it. `problems` lists every problem found; `file`, `line` and `reason`
 * describe them for a render-failed event.
 */
export class RenderError extends InvalidInputError {
  override readonly name: string = 'RenderError';
  readonly problems: readonly RenderProblem[];
  readonly file: string | undefined;
  readonly line: number | undefined;
  /** Plain-language reason, every problem included (up to a few), each with its path. */
  readonly reason: string;
  readonly cluster: string | undefined;
  readonly component: string | undefined;

  constructor(problems: RenderProblem | readonly RenderProblem[], scope: RenderErrorScope = {}) {
    const list: readonly RenderProblem[] = Array.isArray(problems) ? problems : [problems as RenderProblem];
    if (list.length === 0) throw new RangeError('a RenderError needs at least one problem');
    const first = list[0] as RenderProblem;
    const shown = list.slice(0, MAX_PROBLEMS_IN_REASON);
    const more = list.length - shown.length;
    const sameFile = list.every((p) => p.file === first.file);
    // The event carries file and line separately, so the reason repeats them only when problems span files.
    const reasonOf = (p: RenderProblem) =>
      sameFile ? `${p.line === undefined ? '' : `line ${p.line}: `}${p.path === undefined ? '' : `${p.path}: `}${p.reason}` : describe(p);
    const reason =
      list.length === 1
        ? `${first.path === undefined ? '' : `${first.path}: `}${first.reason}`
        : `${list.length} problems: ${shown.map(reasonOf).join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
    const scopeText = [scope.cluster && `cluster ${scope.cluster}`, scope.component && `component ${scope.component}`].filter(Boolean).join(', ');
    const message = `${scopeText ? `${scopeText}: ` : ''}${list.length === 1 ? describe(first) : `${first.file === undefined || !sameFile ? '' : `${first.file}: `}${reason}`}`;
    super(message, scope.cause === undefined ? undefined : { cause: scope.cause });
    this.problems = list;
    this.file = first.file;
    this.line = first.line;
    this.reason = reason;
    this.cluster = scope.cluster;
    this.component = scope.component;
  }

  /** The same problems, attributed to one (cluster, component). */
  forPair(cluster: string, component: string): RenderError {
    return new RenderError(this.problems, { cluster, component, cause: this.cause });
  }
}
