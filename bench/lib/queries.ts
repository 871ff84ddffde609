// The GraphQL documents the bench sends; plain strings, so the load
// processes need nothing from src/.
export const ORDER_READ_QUERY = `query BenchOrder($id: ID!) {
  order(id: $id) {
    id status version createdAt
    total { amount currencyCode minorUnits }
    items { sku name quantity unitPrice { amount currencyCode minorUnits } lineTotal { amount currencyCode minorUnits } }
  }
}`;

export const CREATE_ORDER_MUTATION = `mutation BenchCreateOrder($input: CreateOrderInput!) {
  createOrder(input: $input) { id status total { minorUnits } }
}`;

export const REGISTER_MUTATION = `mutation BenchRegister($input: RegisterInput!) {
  register(input: $input) { accessToken user { id } }
}`;

export const LOGIN_MUTATION = `mutation BenchLogin($input: LoginInput!) {
  login(input: $input) { accessToken user { id } }
}`;

export const UPDATE_STATUS_MUTATION = `mutation BenchUpdateStatus($input: UpdateOrderStatusInput!) {
  updateOrderStatus(input: $input) { id status version }
}`;

export const STATUS_SUBSCRIPTION = `subscription BenchStatus { orderStatusChanged { status changedAt order { id } } }`;

/** The resumable form (docs/live.md): `after` is the cursor of the last change the subscriber got. */
export const TRACK_SUBSCRIPTION = `subscription BenchTrack($after: String) {
  orderStatusChanged(after: $after) { version cursor status order { id } }
}`;
