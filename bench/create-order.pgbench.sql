-- The createOrder transaction as raw SQL, the baseline of scenario 1: the
-- same statements, in the same order and the same round trips as the
-- service (see OrderService.createOrder and migrations/): two guarded stock
-- updates in sku order, the order, its two items in one insert, the outbox
-- row and the audit row. Variables: :customer (a user id), :skus (catalogue
-- size); one sku from each half, as the load generator picks them.
\set half :skus / 2
\set i1 random(1, :half)
\set i2 random(:half + 1, :skus)
BEGIN;
UPDATE products SET stock = stock - 1 WHERE sku = 'BENCH-' || lpad(CAST(:i1 AS text), 3, '0') AND stock >= 1 RETURNING name AS name1, price_minor AS price1, currency, gen_random_uuid() AS order_id, gen_random_uuid() AS event_id \gset
UPDATE products SET stock = stock - 1 WHERE sku = 'BENCH-' || lpad(CAST(:i2 AS text), 3, '0') AND stock >= 1 RETURNING name AS name2, price_minor AS price2 \gset
INSERT INTO orders (id, customer_id, status, currency, total_minor, shipping_address, idempotency_key, version, created_at, updated_at) VALUES (:order_id, :customer, 'PENDING', :currency, CAST(:price1 AS int) + CAST(:price2 AS int), '1 Benchmark Road, Testville', NULL, 1, now(), now());
INSERT INTO order_items (id, order_id, position, sku, name, quantity, unit_price_minor, line_total_minor) VALUES (gen_random_uuid(), :order_id, 0, 'BENCH-' || lpad(CAST(:i1 AS text), 3, '0'), :name1, 1, CAST(:price1 AS int), CAST(:price1 AS int)), (gen_random_uuid(), :order_id, 1, 'BENCH-' || lpad(CAST(:i2 AS text), 3, '0'), :name2, 1, CAST(:price2 AS int), CAST(:price2 AS int));
INSERT INTO outbox (id, aggregate_id, type, envelope, correlation_id, created_at) VALUES (:event_id, :order_id, 'order.created', jsonb_build_object('id', CAST(:event_id AS text), 'type', 'order.created', 'occurredAt', now(), 'data', jsonb_build_object('orderId', CAST(:order_id AS text), 'customerId', CAST(:customer AS text), 'status', 'PENDING', 'version', 1, 'total', jsonb_build_object('minorUnits', CAST(:price1 AS int) + CAST(:price2 AS int), 'currencyCode', CAST(:currency AS text)), 'items', jsonb_build_array(jsonb_build_object('sku', 'BENCH-' || lpad(CAST(:i1 AS text), 3, '0'), 'quantity', 1, 'unitPrice', jsonb_build_object('minorUnits', CAST(:price1 AS int), 'currencyCode', CAST(:currency AS text))), jsonb_build_object('sku', 'BENCH-' || lpad(CAST(:i2 AS text), 3, '0'), 'quantity', 1, 'unitPrice', jsonb_build_object('minorUnits', CAST(:price2 AS int), 'currencyCode', CAST(:currency AS text)))), 'actor', CAST(:customer AS text))), 'pgbench', now());
INSERT INTO order_history (id, event_id, order_id, type, from_status, to_status, actor, reason, occurred_at) VALUES (gen_random_uuid(), :event_id, :order_id, 'order.created', NULL, 'PENDING', :customer, NULL, now());
COMMIT;
