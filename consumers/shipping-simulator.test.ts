import { describe, expect, it } from 'vitest';
import { plannedDelivery, plannedShipments, SIMULATED_SHIPMENT_PREFIX } from './shipping-simulator.js';

const ORDER_ID = '0b9f8c1e-2d3a-4b5c-8d7e-6f5a4b3c2d1e';

describe('the shipping simulator', () => {
  it('ships a one-line order in one shipment', () => {
    const shipments = plannedShipments('e1', ORDER_ID, [{ sku: 'MUG', quantity: 2 }]);
    expect(shipments).toHaveLength(1);
    expect(shipments[0]).toMatchObject({
      type: 'shipment.shipped',
      data: { orderId: ORDER_ID, lines: [{ sku: 'MUG', quantity: 2 }] },
    });
    expect(shipments[0]?.data.shipmentId.startsWith(SIMULATED_SHIPMENT_PREFIX)).toBe(true);
  });

  it('ships an order of more than one line in two shipments that together hold every unit', () => {
    const lines = [
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 2 },
      { sku: 'C', quantity: 3 },
    ];
    const shipments = plannedShipments('e2', ORDER_ID, lines);
    expect(shipments.map((s) => s.data.lines)).toEqual([lines.slice(0, 2), lines.slice(2)]);
    expect(new Set(shipments.map((s) => s.data.shipmentId)).size).toBe(2);
    expect(new Set(shipments.map((s) => s.id)).size).toBe(2);
  });

  it('ships nothing when nothing is left to ship', () => {
    expect(plannedShipments('e3', ORDER_ID, [])).toEqual([]);
  });

  it('answers a redelivered event with the same ids, so the order service drops the copy', () => {
    const lines = [
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 1 },
    ];
    const strip = (s: { id: string; data: unknown }) => ({ id: s.id, data: s.data });
    expect(plannedShipments('e4', ORDER_ID, lines).map(strip)).toEqual(
      plannedShipments('e4', ORDER_ID, lines).map(strip),
    );
    expect(plannedShipments('e5', ORDER_ID, lines)[0]?.id).not.toBe(plannedShipments('e4', ORDER_ID, lines)[0]?.id);
    expect(plannedDelivery('s1', ORDER_ID, 'SIM-1').id).toBe(plannedDelivery('s1', ORDER_ID, 'SIM-1').id);
    expect(plannedDelivery('s1', ORDER_ID, 'SIM-1')).toMatchObject({
      type: 'shipment.delivered',
      data: { orderId: ORDER_ID, shipmentId: 'SIM-1' },
    });
  });
});
