/**
 * A list option's values: repeated options and comma-separated values
 * (`--home-net a,b --home-net c`). Lists are not greedy (see
 * parserConfiguration below), so `--home-net 10.0.0.0/8 FILE` keeps FILE.
 */
export function listValues(v: unknown): string[] {
  const items = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return items.flatMap((x) => String(x).split(/[,\s]+/)).filter((x) => x !== '');
}
