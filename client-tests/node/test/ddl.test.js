/*
 * ddl.test.js - table and index DDL through the official Node.js SDK:
 * create (with limits, waiting for completion), IF NOT EXISTS, child
 * tables, get table, alter, indexes, drop, list with paging.
 */
'use strict';

const assert = require('node:assert/strict');
const { test, after } = require('node:test');
const { TableState, CapacityMode, NoSQLArgumentError } =
    require('oracle-nosqldb');
const {
    ErrorCode, LIMITS, makeClient, tname, createTable, expectError,
    serialVersionTest
} = require('./support');

const client = makeClient();
after(() => client.close());

const USERS = tname('users');
const USERS_DDL = `CREATE TABLE ${USERS} (id INTEGER, name STRING, ` +
    'score DOUBLE, PRIMARY KEY(id))';

function schemaOf(res) {
    assert.equal(typeof res.schema, 'string', 'schema is JSON text');
    return JSON.parse(res.schema);
}

function fieldNames(schema) {
    return schema.fields.map(f => f.name);
}

test('create table with limits waits until ACTIVE', async () => {
    const res = await createTable(client, USERS_DDL,
        { readUnits: 50, writeUnits: 20, storageGB: 1 });
    assert.equal(res.tableName, USERS);
    assert.equal(res.tableState, TableState.ACTIVE);
    assert.equal(res.tableLimits.readUnits, 50);
    assert.equal(res.tableLimits.writeUnits, 20);
    assert.equal(res.tableLimits.storageGB, 1);
    assert.equal(res.tableLimits.mode, CapacityMode.PROVISIONED);
    const schema = schemaOf(res);
    assert.deepEqual(fieldNames(schema), ['id', 'name', 'score']);
    assert.deepEqual(schema.primaryKey, ['id']);
    assert.equal(typeof res.tableOCID, 'string');
    assert.ok(res.tableOCID.startsWith('ocid1.nosqltable.'), res.tableOCID);
});

test('create of an existing table fails with TABLE_EXISTS', async () => {
    await expectError(createTable(client, USERS_DDL), ErrorCode.TABLE_EXISTS);
});

test('CREATE TABLE IF NOT EXISTS on an existing table keeps it', async () => {
    const res = await createTable(client,
        `CREATE TABLE IF NOT EXISTS ${USERS} (id INTEGER, other LONG, ` +
        'PRIMARY KEY(id))');
    assert.equal(res.tableState, TableState.ACTIVE);
    const got = await client.getTable(USERS);
    assert.deepEqual(fieldNames(schemaOf(got)), ['id', 'name', 'score'],
        'the original schema is kept');
});

test('on-demand capacity is reported as ON_DEMAND', async () => {
    const name = tname('ondemand');
    const res = await createTable(client,
        `CREATE TABLE ${name} (id INTEGER, PRIMARY KEY(id))`,
        { mode: CapacityMode.ON_DEMAND, storageGB: 5 });
    assert.equal(res.tableState, TableState.ACTIVE);
    assert.equal(res.tableLimits.mode, CapacityMode.ON_DEMAND);
    assert.equal(res.tableLimits.storageGB, 5);
    await client.tableDDL(`DROP TABLE ${name}`, { complete: true });
});

test('get table returns state, schema, DDL text and limits', async () => {
    const res = await client.getTable(USERS);
    assert.equal(res.tableName, USERS);
    assert.equal(res.tableState, TableState.ACTIVE);
    assert.equal(res.tableLimits.readUnits, 50);
    assert.equal(res.tableLimits.writeUnits, 20);
    assert.equal(res.tableLimits.storageGB, 1);
    const schema = schemaOf(res);
    assert.deepEqual(fieldNames(schema), ['id', 'name', 'score']);
    assert.deepEqual(schema.fields.map(f => f.type),
        ['INTEGER', 'STRING', 'DOUBLE']);
    assert.match(res.tableDDL, /CREATE TABLE/i);
});

test('table names are case-insensitive', async () => {
    const res = await client.getTable(USERS.toUpperCase());
    assert.equal(res.tableState, TableState.ACTIVE);
    assert.equal(res.tableName.toLowerCase(), USERS.toLowerCase());
});

test('get table of a missing table fails with TABLE_NOT_FOUND', async () => {
    await expectError(client.getTable(tname('nosuch')),
        ErrorCode.TABLE_NOT_FOUND);
});

test('child table parent.child: create, get, write and read', async () => {
    const parent = tname('orders');
    const child = `${parent}.lines`;
    await createTable(client, `CREATE TABLE ${parent} (oid INTEGER, ` +
        'customer STRING, PRIMARY KEY(oid))');
    const res = await client.tableDDL(`CREATE TABLE ${child} (line INTEGER, ` +
        'item STRING, qty INTEGER, PRIMARY KEY(line))', { complete: true });
    assert.equal(res.tableState, TableState.ACTIVE);
    assert.equal(res.tableName, child);

    const got = await client.getTable(child);
    assert.equal(got.tableName, child);
    assert.equal(got.tableState, TableState.ACTIVE);
    const schema = schemaOf(got);
    assert.ok(fieldNames(schema).includes('line'));
    assert.ok(fieldNames(schema).includes('item'));

    const put = await client.put(child, { oid: 7, line: 1, item: 'pen',
        qty: 3 });
    assert.equal(put.success, true);
    const row = await client.get(child, { oid: 7, line: 1 });
    assert.deepEqual(row.row, { oid: 7, line: 1, item: 'pen', qty: 3 });

    await expectError(client.tableDDL(`DROP TABLE ${parent}`,
        { complete: true }), ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    await client.tableDDL(`DROP TABLE ${child}`, { complete: true });
    await client.tableDDL(`DROP TABLE ${parent}`, { complete: true });
});

test('alter table add column shows in schema and rows', async () => {
    await client.put(USERS, { id: 1, name: 'ann', score: 1.5 });
    const res = await client.tableDDL(
        `ALTER TABLE ${USERS} (ADD age INTEGER)`, { complete: true });
    assert.equal(res.tableState, TableState.ACTIVE);
    const got = await client.getTable(USERS);
    assert.deepEqual(fieldNames(schemaOf(got)),
        ['id', 'name', 'score', 'age']);

    const old = await client.get(USERS, { id: 1 });
    assert.deepEqual(Object.keys(old.row), ['id', 'name', 'score', 'age']);
    assert.equal(old.row.age, undefined, 'old row reads the new column as NULL');

    await client.put(USERS, { id: 2, name: 'bob', score: 2, age: 40 });
    const fresh = await client.get(USERS, { id: 2 });
    assert.deepEqual(fresh.row, { id: 2, name: 'bob', score: 2, age: 40 });
});

test('alter table drop column removes it from schema and rows',
    async () => {
        await client.tableDDL(`ALTER TABLE ${USERS} (ADD tmp STRING)`,
            { complete: true });
        await client.put(USERS, { id: 3, name: 'cy', tmp: 'gone soon' });
        await client.tableDDL(`ALTER TABLE ${USERS} (DROP tmp)`,
            { complete: true });
        const got = await client.getTable(USERS);
        assert.deepEqual(fieldNames(schemaOf(got)),
            ['id', 'name', 'score', 'age']);
        const row = await client.get(USERS, { id: 3 });
        assert.deepEqual(row.row, { id: 3, name: 'cy', score: undefined,
            age: undefined });
    });

test('ALTER TABLE errors: existing column, primary key column', async () => {
    await expectError(client.tableDDL(`ALTER TABLE ${USERS} (ADD name STRING)`,
        { complete: true }), ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    await expectError(client.tableDDL(`ALTER TABLE ${USERS} (DROP id)`,
        { complete: true }), ErrorCode.ILLEGAL_ARGUMENT, NoSQLArgumentError);
    await expectError(client.tableDDL(
        `ALTER TABLE ${tname('nosuch')} (ADD x INTEGER)`, { complete: true }),
    ErrorCode.TABLE_NOT_FOUND);
    assert.deepEqual(fieldNames(schemaOf(await client.getTable(USERS))),
        ['id', 'name', 'score', 'age']);
});

test('setTableLimits changes the limits getTable reports', async () => {
    const res = await client.setTableLimits(USERS,
        { readUnits: 100, writeUnits: 30, storageGB: 2 }, { complete: true });
    assert.equal(res.tableState, TableState.ACTIVE);
    const got = await client.getTable(USERS);
    assert.equal(got.tableLimits.readUnits, 100);
    assert.equal(got.tableLimits.writeUnits, 30);
    assert.equal(got.tableLimits.storageGB, 2);
});

test('DDL without complete, then forCompletion and forTableState',
    async () => {
        const name = tname('async');
        const res = await client.tableDDL(`CREATE TABLE ${name} ` +
            '(id INTEGER, PRIMARY KEY(id))', { tableLimits: LIMITS });
        assert.ok([TableState.CREATING, TableState.ACTIVE]
            .includes(res.tableState), String(res.tableState));
        const done = await client.forCompletion(res);
        assert.equal(done.tableState, TableState.ACTIVE);
        const st = await client.forTableState(name, TableState.ACTIVE);
        assert.equal(st.tableState, TableState.ACTIVE);
        const drop = await client.tableDDL(`DROP TABLE ${name}`);
        await client.forCompletion(drop);
        assert.equal(drop.tableState, TableState.DROPPED);
        await expectError(client.getTable(name), ErrorCode.TABLE_NOT_FOUND);
    });

test('create index, getIndexes, getIndex, drop index', async () => {
    const idx = 'idx_name_age';
    const res = await client.tableDDL(
        `CREATE INDEX ${idx} ON ${USERS}(name, age)`, { complete: true });
    assert.equal(res.tableState, TableState.ACTIVE);

    const list = await client.getIndexes(USERS);
    assert.equal(list.length, 1);
    assert.equal(list[0].indexName, idx);
    assert.deepEqual(list[0].fields, ['name', 'age']);

    const one = await client.getIndex(USERS, idx);
    assert.equal(one.indexName, idx);
    assert.deepEqual(one.fields, ['name', 'age']);

    await expectError(client.tableDDL(
        `CREATE INDEX ${idx} ON ${USERS}(score)`, { complete: true }),
    ErrorCode.INDEX_EXISTS);
    await client.tableDDL(`CREATE INDEX IF NOT EXISTS ${idx} ON ` +
        `${USERS}(score)`, { complete: true });

    await client.tableDDL(`DROP INDEX ${idx} ON ${USERS}`,
        { complete: true });
    assert.deepEqual(await client.getIndexes(USERS), []);
    await expectError(client.getIndex(USERS, idx),
        ErrorCode.INDEX_NOT_FOUND);
    await expectError(client.tableDDL(`DROP INDEX ${idx} ON ${USERS}`,
        { complete: true }), ErrorCode.INDEX_NOT_FOUND);
    await client.tableDDL(`DROP INDEX IF EXISTS ${idx} ON ${USERS}`,
        { complete: true });
});

test('getIndexes of a missing table fails with TABLE_NOT_FOUND', async () => {
    await expectError(client.getIndexes(tname('nosuch')),
        ErrorCode.TABLE_NOT_FOUND);
});

test('a DDL syntax error fails with ILLEGAL_ARGUMENT', async () => {
    await expectError(client.tableDDL('CREATE TABEL oops (id INTEGER)',
        { tableLimits: LIMITS }), ErrorCode.ILLEGAL_ARGUMENT,
    NoSQLArgumentError);
});

test('drop table, then it is gone', async () => {
    const name = tname('todrop');
    await createTable(client, `CREATE TABLE ${name} (id INTEGER, ` +
        'PRIMARY KEY(id))');
    await client.put(name, { id: 1 });
    const res = await client.tableDDL(`DROP TABLE ${name}`,
        { complete: true });
    assert.equal(res.tableState, TableState.DROPPED);
    await expectError(client.getTable(name), ErrorCode.TABLE_NOT_FOUND);
    await expectError(client.get(name, { id: 1 }), ErrorCode.TABLE_NOT_FOUND);

    /* a table re-created under the same name starts empty */
    await createTable(client, `CREATE TABLE ${name} (id INTEGER, ` +
        'PRIMARY KEY(id))');
    const got = await client.get(name, { id: 1 });
    assert.equal(got.row, null);
    await client.tableDDL(`DROP TABLE ${name}`, { complete: true });
});

test('drop of a missing table fails with TABLE_NOT_FOUND', async () => {
    await expectError(client.tableDDL(`DROP TABLE ${tname('never')}`,
        { complete: true }), ErrorCode.TABLE_NOT_FOUND);
    const res = await client.tableDDL(
        `DROP TABLE IF EXISTS ${tname('never')}`, { complete: true });
    assert.equal(res.tableState, TableState.DROPPED);
});

test('list tables, whole and paged, in a tenant of its own', async () => {
    /* Its own tenant, so tables made by other test files do not show. */
    const tenant = `ListTenant${process.pid}`;
    const other = makeClient({ auth: `Bearer ${tenant}` });
    try {
        assert.deepEqual((await other.listTables()).tables, []);
        const names = ['delta', 'alpha', 'echo', 'charlie', 'bravo']
            .map(n => `lt_${n}`);
        for (const n of names) {
            await createTable(other,
                `CREATE TABLE ${n} (id INTEGER, PRIMARY KEY(id))`);
        }
        await other.tableDDL('CREATE TABLE lt_bravo.kid (k INTEGER, ' +
            'PRIMARY KEY(k))', { complete: true });
        names.push('lt_bravo.kid');
        const sorted = [...names].sort();
        const all = await other.listTables();
        assert.deepEqual(all.tables, sorted);
        assert.equal(all.lastIndex, 6);

        const pages = [];
        let start = 0;
        for (let i = 0; i < 6; i++) {
            const page = await other.listTables({ limit: 2,
                startIndex: start });
            if (page.tables.length === 0) {
                break;
            }
            assert.ok(page.tables.length <= 2, 'limit is respected');
            pages.push(page.tables);
            start = page.lastIndex;
        }
        assert.deepEqual(pages, [sorted.slice(0, 2), sorted.slice(2, 4),
            sorted.slice(4, 6)]);

        /* tenants are isolated both ways */
        const mine = await client.listTables();
        assert.ok(mine.tables.includes(USERS));
        for (const n of names) {
            assert.ok(!mine.tables.includes(n), `${n} leaked to TestTenant`);
        }
        await expectError(other.getTable(USERS), ErrorCode.TABLE_NOT_FOUND);
    } finally {
        other.close();
    }
});

test('drop the users table', async () => {
    const res = await client.tableDDL(`DROP TABLE ${USERS}`,
        { complete: true });
    assert.equal(res.tableState, TableState.DROPPED);
});

serialVersionTest(() => client);
