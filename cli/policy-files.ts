import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { formatDiagnostics, hasErrors, loadDocuments, type Diagnostic } from '../config';
import { serviceEndpointsKind, type RegistrySnapshot, type Service } from '../discovery';
import { createConfigKinds, trafficPolicyKind, type TrafficPolicy } from '../policy';
import type { RevisionFile } from '../store';

/**
 * Reads files and folders into `{name, text}` pairs for the admin API. A folder contributes its
 * `*.yaml` and `*.yml` files in name order, as `meridian serve` reads it. Throws with the path
 * when one cannot be read.
 */
export async function readPolicyFiles(paths: readonly string[]): Promise<RevisionFile[]> {
  const files: RevisionFile[] = [];
  for (const configPath of paths) {
    let names = [configPath];
    try {
      if ((await fs.stat(configPath)).isDirectory()) {
        const entries = (await fs.readdir(configPath)).filter((name) => ['.yaml', '.yml'].includes(path.extname(name))).sort();
        if (entries.length === 0) throw new Error(`folder "${configPath}" contains no .yaml or .yml file`);
        names = entries.map((name) => path.join(configPath, name));
      }
      for (const name of names) files.push({ name, text: await fs.readFile(name, 'utf8') });
    } catch (error) {
      throw new Error(`cannot read "${configPath}": ${(error as Error).message}`);
    }
  }
  return files;
}

/** A configuration read from files: its services as a registry snapshot, and its policies. */
export interface LocalConfiguration {
  registry: RegistrySnapshot;
  policies: TrafficPolicy[];
  /** Number of ServiceEndpoints documents, to tell a policy-only folder from a complete one. */
  serviceDocuments: number;
  diagnostics: Diagnostic[];
}

/** Loads and validates paths as `meridian serve` does. Returns undefined after printing the diagnostics when any is an error. */
export async function loadLocalConfiguration(paths: readonly string[], err: NodeJS.WritableStream): Promise<LocalConfiguration | undefined> {
  const { set, diagnostics } = createConfigKinds().validate(await loadDocuments(paths));
  if (hasErrors(diagnostics)) {
    err.write(`${formatDiagnostics(diagnostics)}\n`);
    return undefined;
  }
  const services = set.of(serviceEndpointsKind).map((document) => document.value);
  return {
    registry: registryOf(services),
    policies: set.of(trafficPolicyKind).map((document) => document.value),
    serviceDocuments: services.length,
    diagnostics,
  };
}

/** Returns a registry snapshot of services, in name order, as the registry builds it. */
export function registryOf(services: readonly Service[]): RegistrySnapshot {
  const sorted = [...services].sort((a, b) => a.name.localeCompare(b.name, 'en'));
  return { services: new Map(sorted.map((service) => [service.name, service])), revision: 0 };
}
