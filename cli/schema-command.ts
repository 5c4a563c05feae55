import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createConfigKinds } from '../policy';

export const SCHEMA_USAGE = `Usage: meridian schema [--output FILE]

Prints the JSON Schema (draft-07) of Meridian's YAML documents, ServiceEndpoints and
TrafficPolicy, with each document's spec chosen by its kind. It is generated from the readers
that 'meridian validate' uses, so it states the same types, enums, ranges and required fields.
Rules between values and documents (sums, references, regions) are checked by 'meridian validate'
only. Point an editor at it with the modeline
  # yaml-language-server: $schema=PATH/TO/meridian.schema.json

Options:
  --output FILE   Write the schema to FILE instead of standard output
  -h, --help      Print this help`;

/** Returns the generated schema as the text that `meridian schema` prints: two-space JSON and a final newline. */
export function schemaText(): string {
  return `${JSON.stringify(createConfigKinds().jsonSchema(), null, 2)}\n`;
}

/** Runs `meridian schema`. Resolves with 0 on success, 2 on a usage error or when the file cannot be written. */
export async function runSchemaCommand(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let values: { output?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { output: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (error) {
    err.write(`meridian: ${(error as Error).message}. Run 'meridian schema --help' for the options.\n`);
    return 2;
  }
  if (values.help === true) {
    out.write(`${SCHEMA_USAGE}\n`);
    return 0;
  }
  if (values.output === undefined) {
    out.write(schemaText());
    return 0;
  }
  try {
    await writeFile(values.output, schemaText());
  } catch (error) {
    err.write(`meridian: cannot write the schema to ${values.output}: ${(error as Error).message}; check that the folder exists and is writable\n`);
    return 2;
  }
  return 0;
}
