import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyField, copyRecords } from './pg-copy.js';

describe('COPY text encoding', () => {
  it('writes null as \\N and escapes the characters COPY reads specially', () => {
    assert.equal(copyField(null), '\\N');
    assert.equal(copyField(undefined), '\\N');
    assert.equal(copyField('\\N'), '\\\\N', 'the text "\\N" stays text');
    assert.equal(copyField('a\tb\nc\rd\\e'), 'a\\tb\\nc\\rd\\\\e');
    assert.equal(copyField(42), '42');
    assert.equal(copyField(false), 'false');
  });

  it('writes arrays as quoted text-array literals', () => {
    assert.equal(copyField(['shop', 'admin']), '{"shop","admin"}');
    assert.equal(copyField([]), '{}');
    // Quote and backslash escaped for the array literal, then the backslashes again for COPY.
    assert.equal(copyField(['a"b', 'c\\d', 'e,f']), '{"a\\\\"b","c\\\\\\\\d","e,f"}');
  });

  it('writes the columns of each record in the order given, joined with tabs, every row ending with a newline', () => {
    const records = [{ b: 'x', a: 1, c: null }, { c: ['a'], a: 2, b: 'y\tz' }];
    assert.equal(copyRecords(records, ['a', 'b', 'c']), '1\tx\t\\N\n2\ty\\tz\t{"a"}\n');
  });
});
