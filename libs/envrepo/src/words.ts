/** Small helpers for error messages that name the alternatives and suggest the likely intended one. */

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
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
