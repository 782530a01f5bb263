#!/usr/bin/env node
// Reads an AsyncAPI document with the official AsyncAPI parser, the JavaScript library AsyncAPI
// Studio, the AsyncAPI CLI and the code generators use (@asyncapi/parser, pinned with its
// dependencies in tools/asyncapi/package-lock.json; `make asyncapi-check` installs it and runs
// this). Prints every diagnostic the parser gives, with its path in the document, and fails if one
// of them is an error: a document with an error is one those tools refuse.
//
//   node scripts/check-asyncapi.mjs contracts/asyncapi.json
//
// It checks whatever the document holds, so new channels and messages need nothing here. Two more
// checks keep it honest:
// - every `$ref`, in the document and in the files it references, is local (a pointer or a
//   relative file), so the parser reads only files from this repository and never the network;
// - the parser must refuse the same document without its `info` object, so a parser that accepted
//   anything would fail this check rather than pass it.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'tools/asyncapi/package.json'));
const { Parser, DiagnosticSeverity } = require('@asyncapi/parser');

const SEVERITY = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'info',
  [DiagnosticSeverity.Hint]: 'hint',
};

// Every `$ref` in `file` and in the files it references that is not local, as "file: ref" lines.
function nonLocalRefs(file) {
  const found = [];
  const seen = new Set();
  const pending = [path.resolve(file)];
  while (pending.length > 0) {
    const current = pending.pop();
    if (seen.has(current)) continue;
    seen.add(current);
    const walk = (value) => {
      if (Array.isArray(value)) return value.forEach(walk);
      if (value === null || typeof value !== 'object') return;
      for (const [key, member] of Object.entries(value)) {
        if (key === '$ref' && typeof member === 'string') {
          const target = member.split('#')[0];
          if (/^[a-z][a-z0-9+.-]*:/i.test(member)) {
            found.push(`${path.relative(root, current)}: ${member}`);
          } else if (target !== '') {
            pending.push(path.resolve(path.dirname(current), target));
          }
        } else {
          walk(member);
        }
      }
    };
    try {
      walk(JSON.parse(readFileSync(current, 'utf8')));
    } catch (e) {
      // The parser reports a missing or broken file as an error of its own, with its path.
    }
  }
  return found;
}

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/check-asyncapi.mjs DOCUMENT.json');
    process.exit(2);
  }
  const name = path.relative(root, path.resolve(file));
  const remote = nonLocalRefs(file);
  if (remote.length > 0) {
    console.error(`${name}: references outside the repository (the check reads no network):`);
    remote.forEach((line) => console.error(`  ${line}`));
    process.exit(1);
  }

  const version = require('@asyncapi/parser/package.json').version;
  const text = readFileSync(file, 'utf8');
  const parser = new Parser();
  // `source` lets the parser resolve the document's relative references (./schemas/...).
  const { document, diagnostics } = await parser.parse(text, { source: path.resolve(file) });
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  console.log(`@asyncapi/parser ${version}: ${name}: ${errors.length} errors, ${diagnostics.length} diagnostics`);
  for (const d of diagnostics) {
    const at = d.path.length > 0 ? d.path.join('/') : '(document)';
    console.log(`  ${SEVERITY[d.severity] ?? d.severity} ${d.code} at ${at}: ${d.message}`);
  }
  if (errors.length > 0 || document === undefined) {
    console.error(`${name}: the AsyncAPI parser refuses it (see the errors above)`);
    process.exit(1);
  }

  const withoutInfo = JSON.parse(text);
  delete withoutInfo.info;
  const refused = await parser.parse(JSON.stringify(withoutInfo), { source: path.resolve(file) });
  if (!refused.diagnostics.some((d) => d.severity === DiagnosticSeverity.Error)) {
    console.error(`${name}: the parser accepted it without \`info\` too, so it checks nothing`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`check-asyncapi: ${e.stack ?? e}`);
  process.exit(1);
});
