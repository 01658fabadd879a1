#!/usr/bin/env node
// Code-health counts of a checkout, reproducible for before/after notes (issue 18):
//   node tools/code-health.mjs [ROOT]          ROOT defaults to this checkout; prints JSON
// Files: every .ts/.tsx/.mts under apps, libs, simulators, tools, test, bench (not node_modules, dist,
// out-tsc, *.d.ts). "src" counts leave out tests (*.spec.ts, *.test.ts, test/, bench/); "all" keeps them.
//   casts      — `x as T` and `<T>x` type assertions, not `as const` (TypeScript's own parse, so no
//                false hits in strings or comments); castsUnknown: the `as unknown as T` double casts;
//                castsIndexed: casts of an element access (`a[i] as number`, what noUncheckedIndexedAccess would type)
//   nonNull    — `x!` non-null assertions
//   longFunctions — functions, methods, accessors, constructors and arrow functions whose text spans
//                more than 40 lines (first line to last line)
//   longLines  — lines over 120 characters
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(process.argv[2] ?? join(fileURLToPath(import.meta.url), '..', '..'));
const TOP = ['apps', 'libs', 'simulators', 'tools', 'test', 'bench'];
const SKIP = new Set(['node_modules', 'dist', 'out-tsc', 'coverage', '.nx', 'test-output']);
const MAX_FUNCTION_LINES = 40;
const MAX_LINE = 120;

function* files(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.(m?ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts') && statSync(p).size < 1 << 20) yield p;
  }
}

const isTest = (rel) => /\.(spec|test)\.tsx?$/.test(rel) || rel.startsWith('test/') || rel.startsWith('bench/');

const FUNCTION_KINDS = new Set([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.Constructor,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
]);

function measure(file, text) {
  const sf = ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const out = { casts: 0, castsUnknown: 0, castsIndexed: 0, nonNull: 0, longFunctions: [] };
  const line = (pos) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node) => {
    if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
      const isConst = ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(sf) === 'const';
      if (!isConst) {
        out.casts++;
        if (ts.isAsExpression(node.expression) && node.expression.type.kind === ts.SyntaxKind.UnknownKeyword)
          out.castsUnknown++;
        if (ts.isElementAccessExpression(ts.skipPartiallyEmittedExpressions(node.expression))) out.castsIndexed++;
      }
    }
    if (ts.isNonNullExpression(node)) out.nonNull++;
    if (FUNCTION_KINDS.has(node.kind) && node.body) {
      const span = line(node.getEnd()) - line(node.getStart(sf)) + 1;
      if (span > MAX_FUNCTION_LINES) {
        const name =
          node.name?.getText(sf) ??
          (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(sf) : '<anonymous>');
        out.longFunctions.push(`${name}:${line(node.getStart(sf))} (${span} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const blank = () => ({
  files: 0,
  lines: 0,
  casts: 0,
  castsUnknown: 0,
  castsIndexed: 0,
  nonNull: 0,
  longFunctions: 0,
  longLines: 0,
});
const totals = { src: blank(), all: blank() };
const longFunctions = [];
for (const top of TOP) {
  for (const file of files(join(root, top))) {
    const rel = relative(root, file);
    const text = readFileSync(file, 'utf8');
    const m = measure(rel, text);
    const lines = text.split('\n');
    const long = lines.filter((l) => l.length > MAX_LINE).length;
    for (const bucket of isTest(rel) ? [totals.all] : [totals.src, totals.all]) {
      bucket.files++;
      bucket.lines += lines.length;
      bucket.casts += m.casts;
      bucket.castsUnknown += m.castsUnknown;
      bucket.castsIndexed += m.castsIndexed;
      bucket.nonNull += m.nonNull;
      bucket.longFunctions += m.longFunctions.length;
      bucket.longLines += long;
    }
    if (!isTest(rel)) for (const f of m.longFunctions) longFunctions.push(`${rel} ${f}`);
  }
}
const list = process.argv.includes('--list');
process.stdout.write(
  `${JSON.stringify({ root, maxFunctionLines: MAX_FUNCTION_LINES, maxLine: MAX_LINE, ...totals, ...(list ? { longFunctionsSrc: longFunctions } : {}) }, null, 2)}\n`,
);
