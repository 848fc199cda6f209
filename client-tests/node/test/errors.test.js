/*
 * errors.test.js - what a Node.js application sees when a request is wrong:
 * the SDK's error class and errorCode for a missing table, a bad key, a
 * wrong-typed field, an exact-match violation and values over the service's
 * size limits. Every failing call is followed by a check that nothing was
 * written.
 */
'use strict';

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');
const { NoSQLError, NoSQLArgumentError } = require('oracle-nosqldb');
const {
    ErrorCode, makeClient, tname, createTable, expectError, serialVersionTest
} = require('./support');

const client = makeClient();
const T = tname('errs');
const MISSING = tname('missing');

before(async () => {
    await createTable(client, `CREATE TABLE ${T} (id INTEGER, ` +
        'name STRING, age INTEGER, big STRING, PRIMARY KEY(id))');
});
after(() => client.close());

async function assertNoRow(key) {
    assert.equal((await client.get(T, key)).row, null,
        `no row ${JSON.stringify(key)} was written`);
}

test('operations on a missing table fail with TABLE_NOT_FOUND', async () => {
    const e = await expectError(client.get(MISSING, { id: 1 }),
        ErrorCode.TABLE_NOT_FOUND);
    assert.equal(e.constructor, NoSQLError);
    assert.equal(e.retryable, false);
    await expectError(client.put(MISSING, { id: 1 }),
        ErrorCode.TABLE_NOT_FOUND);
    await expectError(client.delete(MISSING, { id: 1 }),
        ErrorCode.TABLE_NOT_FOUND);
    await expectError(client.deleteRange(MISSING, { id: 1 }),
        ErrorCode.TABLE_NOT_FOUND);
    await expectError(client.writeMany(MISSING, [{ put: { id: 1 } }]),
        ErrorCode.TABLE_NOT_FOUND);
});

test('a row without its primary key field is rejected', async () => {
    await expectError(client.put(T, { name: 'nokey', age: 3 }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
});

test('a get by a non-key field is rejected', async () => {
    await expectError(client.get(T, { name: 'x' }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
});

test('a wrong-typed field is rejected', async () => {
    await expectError(client.put(T, { id: 1, name: 'a', age: 'old' }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    await assertNoRow({ id: 1 });
    await expectError(client.put(T, { id: 'one', name: 'a' }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    await expectError(client.put(T, { id: 2, name: 42 }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    await assertNoRow({ id: 2 });
    await expectError(client.get(T, { id: 'one' }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
});

test('an INTEGER column rejects a value out of its range', async () => {
    await expectError(client.put(T, { id: 3, age: 2 ** 40 }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    await expectError(client.put(T, { id: 3, age: 1.5 }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    await assertNoRow({ id: 3 });
});

test('exactMatch rejects an unknown field; without it the field is ignored',
    async () => {
        await expectError(client.put(T, { id: 4, name: 'a', age: 1,
            big: 'b', bogus: 1 }, { exactMatch: true }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
        await assertNoRow({ id: 4 });

        const res = await client.put(T, { id: 4, name: 'a', bogus: 1 });
        assert.equal(res.success, true);
        assert.deepEqual((await client.get(T, { id: 4 })).row,
            { id: 4, name: 'a', age: undefined, big: undefined });

        const exact = await client.put(T, { id: 5, name: 'b', age: 2,
            big: 'c' }, { exactMatch: true });
        assert.equal(exact.success, true);
    });

test('ENUM and fixed BINARY reject values outside their type', async () => {
    const name = tname('strict');
    await createTable(client, `CREATE TABLE ${name} (id INTEGER, ` +
        'e ENUM(a, b), fb BINARY(2), PRIMARY KEY(id))');
    await expectError(client.put(name, { id: 1, e: 'c' }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    await expectError(client.put(name, { id: 1, fb: Buffer.from([1, 2, 3]) }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    assert.equal((await client.get(name, { id: 1 })).row, null);
    await client.put(name, { id: 1, e: 'b', fb: Buffer.from([1, 2]) });
    assert.deepEqual((await client.get(name, { id: 1 })).row,
        { id: 1, e: 'b', fb: Buffer.from([1, 2]) });
    await client.tableDDL(`DROP TABLE ${name}`, { complete: true });
});

test('NOT NULL columns reject NULL, and DEFAULT fills them', async () => {
    const name = tname('notnull');
    await createTable(client, `CREATE TABLE ${name} (id INTEGER, ` +
        "s STRING NOT NULL DEFAULT 'dflt', PRIMARY KEY(id))");
    await client.put(name, { id: 1 });
    assert.equal((await client.get(name, { id: 1 })).row.s, 'dflt');
    await expectError(client.put(name, { id: 2, s: undefined }),
        ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    await client.tableDDL(`DROP TABLE ${name}`, { complete: true });
});

test('a row over 512 KB fails with ROW_SIZE_LIMIT_EXCEEDED', async () => {
    const e = await expectError(client.put(T, { id: 6,
        big: 'x'.repeat(600 * 1024) }), ErrorCode.ROW_SIZE_LIMIT_EXCEEDED);
    assert.equal(e.retryable, false);
    await assertNoRow({ id: 6 });
    /* just under the limit is fine */
    const ok = await client.put(T, { id: 7, big: 'y'.repeat(500 * 1024) });
    assert.equal(ok.success, true);
    assert.equal((await client.get(T, { id: 7 })).row.big.length,
        500 * 1024);
});

test('an oversized primary key fails with KEY_SIZE_LIMIT_EXCEEDED',
    async () => {
        const name = tname('skey');
        await createTable(client, `CREATE TABLE ${name} (k STRING, ` +
            'PRIMARY KEY(k))');
        await expectError(client.put(name, { k: 'k'.repeat(1024) }),
            ErrorCode.KEY_SIZE_LIMIT_EXCEEDED);
        await client.tableDDL(`DROP TABLE ${name}`, { complete: true });
    });

test('a failed op inside writeMany is reported as an error', async () => {
    await expectError(client.writeMany(T, [
        { put: { id: 8, name: 'ok' } },
        { put: { id: 8, age: 'bad' } }
    ]), ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    await assertNoRow({ id: 8 });
});

serialVersionTest(() => client);
