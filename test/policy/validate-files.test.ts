import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { formatDiagnostic } from '../../config';
import { validateFiles } from '../../policy';
import { makeTempFolder, replaceLine, yaml } from '../config/fixtures';
import { POLICY_LINES, SERVICES_TEXT } from './policy-documents';

test('validateFiles accepts valid files', async () => {
  const folder = await makeTempFolder();
  await fs.writeFile(path.join(folder, 'services.yaml'), SERVICES_TEXT);
  await fs.writeFile(path.join(folder, 'policies.yaml'), yaml(...POLICY_LINES));
  assert.deepEqual(await validateFiles([folder]), { diagnostics: [] });
});

test('validateFiles checks references across files', async () => {
  const folder = await makeTempFolder();
  const services = path.join(folder, 'services.yaml');
  const policies = path.join(folder, 'policies.yaml');
  await fs.writeFile(services, SERVICES_TEXT.replace('port: 8080', 'port: 0'));
  await fs.writeFile(policies, yaml(...replaceLine(POLICY_LINES, 6, '  service: cart.shop')));
  const { diagnostics } = await validateFiles([policies, services]);
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    `${policies}:6:12: error MERIDIAN_CONFIG_UNKNOWN_REFERENCE: spec.service: unknown service "cart.shop" (known services: checkout.shop)`,
    `${services}:6:9: error MERIDIAN_CONFIG_OUT_OF_RANGE: spec.port: 0 is out of range; expected an integer from 1 to 65535`,
  ]);
});

test('validateFiles reports syntax and missing files', async () => {
  const folder = await makeTempFolder();
  const broken = path.join(folder, 'broken.yaml');
  await fs.writeFile(broken, 'spec:\n  port: 1\n  port: 2\n');
  const missing = path.join(folder, 'absent.yaml');
  const { diagnostics } = await validateFiles([broken, missing]);
  assert.deepEqual(
    diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.file]),
    [
      ['MERIDIAN_CONFIG_FILE_UNREADABLE', missing],
      ['MERIDIAN_CONFIG_DUPLICATE_KEY', broken],
    ],
  );
});

test('validateFiles skips references into a broken file', async () => {
  const folder = await makeTempFolder();
  const services = path.join(folder, 'services.yaml');
  const policies = path.join(folder, 'policies.yaml');
  // The indentation error hides checkout.shop, which the policy names.
  await fs.writeFile(services, SERVICES_TEXT.replace('port: 8080', 'port: 8080\n   bad: indentation'));
  await fs.writeFile(policies, yaml(...POLICY_LINES));
  const { diagnostics } = await validateFiles([folder]);

  const listed = diagnostics.map(formatDiagnostic).join('\n');
  assert.ok(diagnostics.length > 0, 'the syntax error is reported');
  for (const diagnostic of diagnostics) {
    assert.equal(diagnostic.code, 'MERIDIAN_CONFIG_YAML_SYNTAX', listed);
    assert.equal(diagnostic.file, services, listed);
  }
});
