/** Small helpers for error messages that name the alternatives and suggest the likely intended one. */

/** Edit distance counting a swap of two neighbouring letters as one edit ("dve" is one from "dev"). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

const MAX_LISTED = 12;

/** `; stages are dev, test, prod`, with ` (did you mean "prod"?)` first when one name is close. */
export function alternatives(kind: string, value: string, names: Iterable<string>): string {
  const all = [...names];
  if (all.length === 0) return `; there are no ${kind}`;
  const close = all
    .map((name) => ({ name, d: distance(value, name) }))
    .filter(({ d }) => d <= Math.max(1, Math.floor(value.length / 3)))
    .sort((a, b) => a.d - b.d)[0];
  const listed = all.length > MAX_LISTED ? `${all.slice(0, MAX_LISTED).join(', ')}, … (${all.length} in all)` : all.join(', ');
  return `${close ? ` (did you mean "${close.name}"?)` : ''}; ${kind} are ${listed}`;
}
