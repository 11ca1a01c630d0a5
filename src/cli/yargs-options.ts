/**
 * The yargs options of a command, generated from the option table
 * (options.ts). yargs parses and types the command line (and live's
 * SCANWATCH_*) but holds no defaults: settings.ts lays the config file
 * under what was given and fills the defaults, so that what was given can
 * be told from what was not (SIGHUP lays the file again under the first).
 * The defaults are still shown in --help.
 */
import type { Options } from 'yargs';
import { describeFor, optionsOf, type Command, type OptionSpec } from './options.js';
import { listValues } from './list-values.js';

/** How --help shows the default, as yargs would show the value itself. */
export function defaultText(o: OptionSpec): string | undefined {
  if (o.defaultText !== undefined) return JSON.stringify(o.defaultText);
  return o.default === undefined ? undefined : JSON.stringify(o.default);
}

export function yargsOption(o: OptionSpec, command: Command): Options {
  const opt: Options = { describe: describeFor(o, command) };
  if (o.alias !== undefined) opt.alias = o.alias;
  const shown = defaultText(o);
  if (shown !== undefined) opt.defaultDescription = shown;
  switch (o.kind) {
    case 'boolean':
      opt.type = 'boolean';
      return opt;
    case 'number':
      opt.type = 'number';
      break;
    case 'choice':
      opt.choices = o.choices as string[];
      break;
    case 'list':
      // One value per occurrence, commas splitting it: `--home-net a,b --home-net c`.
      opt.type = 'string';
      opt.array = true;
      opt.coerce = listValues;
      break;
    default:
      opt.type = 'string';
  }
  opt.requiresArg = true;
  return opt;
}

/** The command's options for yargs, in the table's order; settings only a config file can hold are left out. */
export function yargsOptions(command: Command): [string, Options][] {
  return optionsOf(command)
    .filter((o) => !o.fileOnly)
    .map((o) => [o.name, yargsOption(o, command)]);
}
