import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Keeps the rule "no user-supplied string ever indexes a plain object" (issue 8): an id such as
 * `constructor` or `__proto__` used as `record[id]` reaches Object.prototype. The check is type-aware,
 * so it finds what a text search cannot:
 * - `x[key]` with a non-literal key on a type that has a string index signature (a `Record`,
 *   `{ [k: string]: … }`), arrays and typed arrays excepted;
 * - `key in x` with a non-literal key on such a type;
 * - any `.hasOwnProperty(` call (`Object.hasOwn` says what is meant).
 * Keyed data lives in Maps. A null-prototype object is allowed where its line (or the line before)
 * says `null-prototype` in a comment.
 */
const ROOT = join(__dirname, '..');

function violations(): string[] {
  const configPath = join(ROOT, 'tsconfig.json');
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, ROOT);
  const program = ts.createProgram(
    config.fileNames.filter((f) => !f.endsWith('.spec.ts') && !f.endsWith('spec-support.ts')),
    config.options,
  );
  const checker = program.getTypeChecker();
  const found: string[] = [];

  const hasStringIndex = (node: ts.Expression): boolean => {
    const type = checker.getNonNullableType(checker.getTypeAtLocation(node));
    const types = type.isUnion() ? type.types : [type];
    return types.some(
      (t) => !checker.isArrayType(t) && !checker.isTupleType(t) && checker.getIndexInfoOfType(t, ts.IndexKind.String) !== undefined,
    );
  };
  const isLiteralKey = (node: ts.Expression): boolean => {
    if (ts.isStringLiteralLike(node) || ts.isNumericLiteral(node)) return true;
    const type = checker.getTypeAtLocation(node);
    const types = type.isUnion() ? type.types : [type];
    return types.every((t) => t.isStringLiteral() || t.isNumberLiteral() || (t.flags & ts.TypeFlags.NumberLike) !== 0);
  };

  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || !file.fileName.startsWith(join(ROOT, 'src'))) continue;
    const lines = file.getFullText().split('\n');
    const allowed = (node: ts.Node) => {
      const line = file.getLineAndCharacterOfPosition(node.getStart()).line;
      return /null-prototype/.test(lines[line] ?? '') || /null-prototype/.test(lines[line - 1] ?? '');
    };
    const report = (node: ts.Node, what: string) => {
      if (allowed(node)) return;
      const { line } = file.getLineAndCharacterOfPosition(node.getStart());
      found.push(`${relative(ROOT, file.fileName)}:${line + 1}: ${what}: ${node.getText(file)}`);
    };
    const visit = (node: ts.Node): void => {
      if (ts.isElementAccessExpression(node) && !isLiteralKey(node.argumentExpression) && hasStringIndex(node.expression)) {
        report(node, 'a computed key indexes a plain object');
      } else if (
        ts.isBinaryExpression(node) &&
        node.operatorToken.kind === ts.SyntaxKind.InKeyword &&
        !isLiteralKey(node.left) &&
        hasStringIndex(node.right)
      ) {
        report(node, '`in` with a computed key on a plain object');
      } else if (ts.isPropertyAccessExpression(node) && node.name.text === 'hasOwnProperty') {
        report(node, 'hasOwnProperty (use Object.hasOwn or a Map)');
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found;
}

describe('no user-supplied string indexes a plain object', () => {
  it('src/ holds no computed lookups on records, no `in` on records and no hasOwnProperty', () => {
    expect(violations()).toEqual([]);
  }, 60_000);
});
