/** Small formatting helpers shared by the pages. */
export const shortSha = (sha: string): string => sha.slice(0, 8);

/** "3 min ago", "2 h ago", or the date for anything older than a week. */
export function ago(iso: string, now: number = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const s = Math.round(ms / 1000);
  if (s < 0) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.floor(s / 86_400)} d ago`;
  return iso.slice(0, 10);
}

/** A ledger kind in words: `desired_changed` → "desired changed". */
export const kindWords = (kind: string): string => kind.replace(/_/g, ' ');
