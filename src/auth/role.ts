// Who a signed-in person is to the service. Orders, tokens and accounts all
// read it; it belongs to auth, not to the order status machine.
export enum Role {
  CUSTOMER = 'CUSTOMER',
  ADMIN = 'ADMIN',
}
