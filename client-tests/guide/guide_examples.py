"""
Runs every example of the Change Streams user guide
(../shared/protocol/changestream-guide.txt) unchanged, in order, against a
running csemu, with the official Python SDK (borneo, branch feature/cdc).

    BORNEO_MIRROR=<git dir of oracle/nosql-python-sdk> client-tests/guide/run.sh

The code between the "# guide:" markers is the guide's code as written; the
rest only sets the stage (a handle, the tables the guide names, some rows)
and checks what the guide says each example does.
"""
import os
import sys
import time

from borneo import (AuthorizationProvider, NoSQLHandle, NoSQLHandleConfig,
                    PutRequest, TableLimits)


class Tenant(AuthorizationProvider):
    def get_authorization_string(self, request=None):
        return 'Bearer guide'

    def close(self):
        pass


endpoint = os.environ.get('CSEMU_ENDPOINT', 'http://localhost:8080')
handle = NoSQLHandle(NoSQLHandleConfig(endpoint, Tenant()))
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print('FAIL: ' + what)
        sys.exit(1)
    checks += 1
    print('ok: ' + what)


def create(name, ddl):
    from borneo import TableRequest
    handle.do_table_request(
        TableRequest().set_statement('DROP TABLE IF EXISTS ' + name), 60000, 500)
    handle.do_table_request(
        TableRequest().set_statement(ddl).set_table_limits(
            TableLimits(50, 50, 1)), 60000, 500)


def put(table, value):
    handle.put(PutRequest().set_table_name(table).set_value(value))


for t in ('order_events', 'order_items', 'orders', 'users'):
    create(t, 'CREATE TABLE ' + t + '(id INTEGER, name STRING, PRIMARY KEY(id))')

# --- Enable or Disable Change Streams -------------------------------------
# guide:
result = handle.enable_change_streaming(
    'users', compartment='mycompartment', enabled=True,
    timeout_ms=60000, poll_interval_ms=1000)
# guide end
check(result.get_state() == 'ACTIVE', 'enable_change_streaming waits for ACTIVE')

# guide:
handle.enable_change_streaming(
    'users', compartment='mycompartment', enabled=False,
    timeout_ms=60000, poll_interval_ms=1000)
# guide end
put('users', {'id': 0, 'name': 'while disabled'})

# guide:
from borneo import TableRequest
request = TableRequest().set_table_name(
    'users').set_change_streaming_enabled(True)
request.set_compartment('mycompartment')
result = handle.table_request(request)
result.wait_for_completion(handle, 60000, 1000)
# guide end
check(result.get_state() == 'ACTIVE', 'TableRequest enables streaming')

# --- Create a Consumer ------------------------------------------------------
# guide:
from borneo.changestream import ConsumerBuilder, StartLocation
consumer = ConsumerBuilder().set_handle(handle).set_group_id(
    'users-group').set_compartment('groupcompartment').add_table(
    'users', compartment='tablecompartment',
    start_location=StartLocation.first_uncommitted()).build()
# guide end

# --- Start Locations --------------------------------------------------------
put('users', {'id': 1, 'name': 'before'})
time.sleep(0.05)
start_time_ms = int(time.time() * 1000)
time.sleep(0.05)
put('users', {'id': 2, 'name': 'after'})
# guide:
consumer = ConsumerBuilder().set_handle(handle).set_group_id(
    'users-group').add_table(
    'users', compartment='mycompartment',
    start_location=StartLocation.at_time(start_time_ms)).build()
# guide end

# --- Poll and Process Events ------------------------------------------------
seen = []
# guide:
bundle = consumer.poll(limit=100, wait_ms=5000)
for message in bundle.get_messages() or []:
    table_name = message.get_table_name()
    for event in message.get_events() or []:
        for record in event.get_records():
            key = record.get_record_key()
            current = record.get_current_image()
            before = record.get_before_image()
            value = None if current is None else current.get_value()
            previous = None if before is None else before.get_value()
            # Process the table name, key, current value, and previous value.
            seen.append((table_name, key['id'], value, previous))  # (check only)
# guide end
check([s[1] for s in seen] == [2], 'at_time starts at the first event at or after the time')
check(seen[0][0] == 'users' and seen[0][2] == {'name': 'after'},
      'message carries the table name and the non-key current image')
check(0 not in [s[1] for s in seen], 'writes made while streaming was disabled are not streamed')

# --- Commit Processed Records -----------------------------------------------
put('users', {'id': 3, 'name': 'manual'})
# guide:
consumer = ConsumerBuilder().set_handle(handle).set_group_id(
    'users-group').set_commit_manual().add_table('users').build()

bundle = consumer.poll(limit=100, wait_ms=5000)
if not bundle.is_empty():
    # Process all records first.
    bundle.commit(timeout_ms=30000)
# guide end
check(not bundle.is_empty(), 'manual consumer polls')
consumer.commit()
check(consumer.poll(limit=100, wait_ms=200).is_empty(),
      'after commit nothing is pending for this consumer')

# --- Multiple Consumers -----------------------------------------------------
for t in ('orders', 'order_items', 'order_events'):
    handle.enable_change_streaming(t, enabled=True, timeout_ms=60000,
                                   poll_interval_ms=1000)
put('orders', {'id': 1, 'name': 'order'})
put('order_items', {'id': 1, 'name': 'item'})
# guide:
consumer = ConsumerBuilder().set_handle(handle).set_group_id(
    'orders-group').add_table('orders').add_table('order_items').build()
# guide end
tables = set()
for _ in range(4):
    b = consumer.poll(limit=100, wait_ms=1000)
    tables.update(m.get_table_name() for m in b.get_messages() or [])
check(tables == {'orders', 'order_items'}, 'one group reads several tables')

# guide:
consumer.add_table('order_events', compartment='orderscompartment')
consumer.remove_table('order_items', compartment='orderscompartment')
# guide end
put('order_events', {'id': 7, 'name': 'event'})
put('order_items', {'id': 8, 'name': 'not any more'})
tables = set()
for _ in range(4):
    b = consumer.poll(limit=100, wait_ms=500)
    tables.update(m.get_table_name() for m in b.get_messages() or [])
check(tables == {'order_events'}, 'add_table/remove_table change what the group reads')

# --- Close, Reset, and Delete -----------------------------------------------
# guide:
consumer.reset()
# guide end
# guide:
consumer.close()
# guide end
# guide:
from borneo.changestream import Consumer
Consumer.delete_group(
    handle, 'users-group', compartment='mycompartment', force_stop=True)
# guide end
print('%d checks passed' % checks)
handle.close()
