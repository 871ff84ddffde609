// Waits for the service at the given URL and checks that it answers a products query.
const url = process.argv[2];
const deadline = Date.now() + 90_000;
let last = '';
while (Date.now() < deadline) {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products { sku name stock price { amount currencyCode } } }' }),
    });
    const body = await res.json();
    if (Array.isArray(body?.data?.products) && body.data.products.length > 0) {
      console.log(`the service answers: ${body.data.products.length} demo products`);
      process.exit(0);
    }
    last = JSON.stringify(body);
  } catch (error) {
    last = String(error);
  }
  await new Promise((r) => setTimeout(r, 500));
}
console.error(`the service did not answer a products query in time: ${last}`);
process.exit(1);
