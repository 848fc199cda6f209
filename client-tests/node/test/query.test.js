/*
 * query.test.js - the simple-query path through the official Node.js SDK:
 * unprepared and prepared SELECTs, named and positional bind variables,
 * batches through continuation keys (row limit and read budget), key-order
 * and sorted ORDER BY, LIMIT/OFFSET, count(*), paths into JSON, consumed
 * capacity, and the errors a user sees for statements outside the subset.
 */
'use strict';

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');
const { Consistency } = require('oracle-nosqldb');
const {
    ErrorCode, makeClient, tname, createTable, expectError, serialVersionTest
} = require('./support');

const client = makeClient();
const T = tname('qt');

/* Every batch of a query, rows concatenated; also the number of batches. */
async function queryAll(stmt, opt) {
    const rows = [];
    let batches = 0;
    let continuationKey = null;
    do {
        const res = await client.query(stmt,
            Object.assign({}, opt || {}, { continuationKey }));
        rows.push(...res.rows);
        continuationKey = res.continuationKey;
        batches++;
    } while (continuationKey);
    return { rows, batches };
}

before(async () => {
    await createTable(client, `CREATE TABLE ${T} (sid INTEGER, id INTEGER, ` +
        'name STRING, score DOUBLE, info JSON, PRIMARY KEY(SHARD(sid), id))');
    for (let sid = 0; sid < 2; sid++) {
        for (let id = 0; id < 6; id++) {
            await client.put(T, {
                sid, id, name: `n${sid}${id}`, score: (id * 7) % 5,
                info: { a: id, tags: ['x', id], ...(id === 2 ? { z: null } : {}) }
            });
        }
    }
});
after(() => client.close());

test('SELECT * returns every row in primary-key order in one batch', async () => {
    const res = await client.query(`SELECT * FROM ${T}`,
        { consistency: Consistency.ABSOLUTE });
    assert.equal(res.rows.length, 12);
    assert.ok(!res.continuationKey);
    assert.deepEqual(res.rows[0],
        { sid: 0, id: 0, name: 'n00', score: 0, info: { a: 0, tags: ['x', 0] } });
    assert.deepEqual(res.rows.map(r => r.sid * 10 + r.id),
        [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]);
    /* each 1 KB row costs 1 KB, twice in units for ABSOLUTE reads */
    assert.equal(res.consumedCapacity.readKB, 12);
    assert.equal(res.consumedCapacity.readUnits, 24);
    assert.equal(res.consumedCapacity.writeKB, 0);
});

test('a row limit splits the result into batches', async () => {
    const { rows, batches } = await queryAll(
        `SELECT sid, id FROM ${T} WHERE sid = 1`, { limit: 4 });
    assert.deepEqual(rows.map(r => r.id), [0, 1, 2, 3, 4, 5]);
    assert.equal(batches, 2);
    /* a batch that fills its limit always hands out a continuation key */
    const exact = await queryAll(`SELECT id FROM ${T} WHERE sid = 1`, { limit: 3 });
    assert.equal(exact.rows.length, 6);
    assert.equal(exact.batches, 3);
});

test('the read budget stops a batch after the row that exceeds it', async () => {
    const first = await client.query(`SELECT id FROM ${T} WHERE sid = 0`,
        { maxReadKB: 4 });
    assert.equal(first.rows.length, 5);
    assert.ok(first.continuationKey);
    const { rows } = await queryAll(`SELECT id FROM ${T}`, { maxReadKB: 2 });
    assert.equal(rows.length, 12);
});

test('prepared statements take named and positional variables', async () => {
    const ps = await client.prepare('DECLARE $s INTEGER; $min INTEGER; ' +
        `SELECT id, q.info.a AS a FROM ${T} q WHERE sid = $s AND q.info.a >= $min`);
    ps.set('$s', 1).set('$min', 4);
    let res = await client.query(ps);
    assert.deepEqual(res.rows, [{ id: 4, a: 4 }, { id: 5, a: 5 }]);
    ps.set('$min', 5);
    res = await client.query(ps);
    assert.deepEqual(res.rows, [{ id: 5, a: 5 }]);

    const pos = await client.prepare(
        `SELECT name FROM ${T} WHERE sid = ? AND id < ?`);
    pos.set(1, 0).set(2, 2);
    res = await client.query(pos);
    assert.deepEqual(res.rows, [{ name: 'n00' }, { name: 'n01' }]);
});

test('ORDER BY the key, descending, and by other fields', async () => {
    let { rows } = await queryAll(
        `SELECT sid, id FROM ${T} ORDER BY sid DESC, id DESC`, { limit: 5 });
    assert.deepEqual(rows.map(r => r.sid * 10 + r.id),
        [15, 14, 13, 12, 11, 10, 5, 4, 3, 2, 1, 0]);
    /* score = (id * 7) % 5: a sort, ties in primary-key order */
    ({ rows } = await queryAll(
        `SELECT sid, id, score FROM ${T} ORDER BY score DESC, id`, { limit: 5 }));
    assert.deepEqual(rows.map(r => `${r.score}:${r.sid}${r.id}`), [
        '4:02', '4:12', '3:04', '3:14', '2:01', '2:11',
        '1:03', '1:13', '0:00', '0:10', '0:05', '0:15'
    ]);
    ({ rows } = await queryAll(
        `SELECT id FROM ${T} WHERE sid = 0 ORDER BY name DESC LIMIT 3 OFFSET 1`,
        { limit: 2 }));
    assert.deepEqual(rows.map(r => r.id), [4, 3, 2]);
});

test('count(*), LIMIT and OFFSET', async () => {
    let res = await client.query(`SELECT count(*) FROM ${T} WHERE id > 2`);
    assert.deepEqual(res.rows, [{ Column_1: 6 }]);
    const { rows } = await queryAll(`SELECT count(*) AS n FROM ${T}`, { maxReadKB: 3 });
    assert.deepEqual(rows, [{ n: 12 }]);
    res = await client.query(`SELECT id FROM ${T} WHERE sid = 1 LIMIT 2 OFFSET 3`);
    assert.deepEqual(res.rows, [{ id: 3 }, { id: 4 }]);
});

test('paths into JSON, missing fields, JSON null and IS NULL', async () => {
    let res = await client.query(
        `SELECT id, t.info.tags, t.info.nope FROM ${T} t WHERE sid = 0 AND id = 1`);
    /* SQL NULL (an empty path) reaches Node applications as undefined */
    assert.deepEqual(res.rows, [{ id: 1, tags: ['x', 1], nope: undefined }]);
    res = await client.query(`SELECT sid, id FROM ${T} t WHERE t.info.z = null`);
    assert.deepEqual(res.rows, [{ sid: 0, id: 2 }, { sid: 1, id: 2 }]);
    res = await client.query(`SELECT id FROM ${T} t WHERE t.info.z IS NULL`);
    assert.deepEqual(res.rows, []);
});

test('statements outside the subset fail clearly', async () => {
    let err = await expectError(client.query(
        `UPDATE ${T} SET name = 'x' WHERE sid = 0 AND id = 0`),
    ErrorCode.OPERATION_NOT_SUPPORTED);
    assert.match(err.message, /UPDATE statements are not supported/);
    err = await expectError(client.query(
        `SELECT sid, avg(score) FROM ${T} GROUP BY sid`),
    ErrorCode.OPERATION_NOT_SUPPORTED);
    assert.match(err.message, /function avg\(\)/);
    await expectError(client.query(`SELEC * FROM ${T}`), ErrorCode.ILLEGAL_ARGUMENT);
    await expectError(client.query(`SELECT nope FROM ${T}`),
        ErrorCode.ILLEGAL_ARGUMENT);
    await expectError(client.query('SELECT * FROM nosuch_table_q'),
        ErrorCode.TABLE_NOT_FOUND);
    await expectError(client.prepare('SELECT * FROM nosuch_table_q'),
        ErrorCode.TABLE_NOT_FOUND);
    const ps = await client.prepare(`DECLARE $s INTEGER; SELECT * FROM ${T} WHERE sid = $s`);
    await expectError(client.query(ps), ErrorCode.ILLEGAL_ARGUMENT);
});

serialVersionTest(() => client);
