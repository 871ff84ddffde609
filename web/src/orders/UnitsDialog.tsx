// Staff's forms for an order's units (SPEC section 10), in a modal dialog:
// ship some or all of what is left in one parcel (carrier, tracking number),
// or cancel units that have not shipped. The dialog follows the order live
// (it reads it from the cache the board keeps current), so the units it says
// are left are the order's as it is now. The API is the judge of what may
// ship: asking for more than is left is refused there (BAD_USER_INPUT), said
// in words here, and the order read again.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useClient, useMutation, useQuery, type CombinedError } from 'urql';
import { explainError, hasCode, type ExplainedError } from '../api/errors';
import { ErrorMessage } from '../components/ErrorMessage';
import {
  CancelOrderLinesDocument,
  ShipOrderDocument,
  StaffOrderDocument,
  type OrderSummaryFragment,
} from '../generated/graphql';
import { shortId } from '../format';
import { totalUnits, units, unitsLeft } from './lines';

export type UnitsAction = 'ship' | 'cancel';

interface Requested {
  sku: string;
  name: string;
  quantity: number;
}

const TEXT: Record<UnitsAction, { title: string; submit: string; none: string; done: (n: number) => string }> = {
  ship: {
    title: 'Ship',
    submit: 'Create shipment',
    none: 'Choose at least one unit to ship.',
    done: (n) => `Shipment of ${units(n)} created`,
  },
  cancel: {
    title: 'Cancel items of',
    submit: 'Cancel these units',
    none: 'Choose at least one unit to cancel.',
    done: (n) => `${units(n)} cancelled`,
  },
};

interface UnitsProps {
  action: UnitsAction;
  onClose: () => void;
  /** Told in words once the API has made the change. */
  onDone: (message: string) => void;
  reloadBoard: () => void;
}

export function UnitsDialog({ orderId, ...props }: UnitsProps & { orderId: string }) {
  const { action, onClose } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  const [{ data, error: loadError }] = useQuery({ query: StaffOrderDocument, variables: { id: orderId } });
  const order = data?.order ?? null;

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  return (
    <dialog ref={dialog} className="units-dialog" aria-labelledby={headingId} onClose={onClose}>
      <h2 id={headingId}>
        {TEXT[action].title} order {shortId(orderId)}
      </h2>
      {order ? (
        <UnitsForm order={order} {...props} />
      ) : loadError ? (
        <ErrorMessage code={explainError(loadError).code}>{explainError(loadError).message}</ErrorMessage>
      ) : (
        <p>Loading the order…</p>
      )}
      {!order ? (
        <button type="button" onClick={onClose}>
          Close
        </button>
      ) : null}
    </dialog>
  );
}

function UnitsForm({ order, action, onClose, onDone, reloadBoard }: UnitsProps & { order: OrderSummaryFragment }) {
  const client = useClient();
  const fieldId = useId();
  const [shipping, ship] = useMutation(ShipOrderDocument);
  const [cancelling, cancel] = useMutation(CancelOrderLinesDocument);
  // Shipping starts from everything left; cancelling from nothing.
  const [quantities, setQuantities] = useState<Record<string, string>>(() =>
    Object.fromEntries(order.items.map((item) => [item.sku, action === 'ship' ? String(unitsLeft(item)) : '0'])),
  );
  const [carrier, setCarrier] = useState('');
  const [trackingNumber, setTrackingNumber] = useState('');
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<ExplainedError | null>(null);
  const busy = shipping.fetching || cancelling.fetching;

  const requested = (): Requested[] | string => {
    const lines: Requested[] = [];
    for (const item of order.items) {
      const text = (quantities[item.sku] ?? '').trim();
      const quantity = text === '' ? 0 : Number(text);
      if (!Number.isInteger(quantity) || quantity < 0)
        return `Enter a whole number of units (0 or more) for ${item.name}.`;
      if (quantity > 0) lines.push({ sku: item.sku, name: item.name, quantity });
    }
    return lines.length > 0 ? lines : TEXT[action].none;
  };

  /** After a refusal, the order as it is now: the form's "left" follows it, the board moves the card. */
  const explainRefusal = async (error: CombinedError, lines: Requested[]): Promise<ExplainedError> => {
    let current = order;
    if (['CONFLICT', 'INVALID_STATUS_TRANSITION', 'BAD_USER_INPUT'].some((code) => hasCode(error, code))) {
      const reread = await client.query(StaffOrderDocument, { id: order.id }, { requestPolicy: 'network-only' });
      current = reread.data?.order ?? current;
      reloadBoard();
    }
    return explainError(error, {
      units: {
        verb: action,
        line(index) {
          const asked = lines[index];
          const item = asked && current.items.find((i) => i.sku === asked.sku);
          return asked && item ? { name: asked.name, asked: asked.quantity, left: unitsLeft(item) } : undefined;
        },
      },
    });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const lines = requested();
    if (typeof lines === 'string') {
      setProblem({ code: 'BAD_USER_INPUT', message: lines });
      return;
    }
    const input = { orderId: order.id, lines: lines.map(({ sku, quantity }) => ({ sku, quantity })) };
    const result =
      action === 'ship'
        ? await ship({
            input: {
              ...input,
              carrier: carrier.trim() || undefined,
              trackingNumber: trackingNumber.trim() || undefined,
            },
          })
        : await cancel({ input: { ...input, reason: reason.trim() || undefined } });
    if (result.error) {
      setProblem(await explainRefusal(result.error, lines));
      return;
    }
    if (!result.data) return;
    onDone(`${TEXT[action].done(totalUnits(lines, (line) => line.quantity))} for order ${shortId(order.id)}.`);
    onClose();
  };

  const left = totalUnits(order.items, unitsLeft);
  return (
    // The API checks the numbers (more than is left is its refusal to explain), so the browser's own checks are off.
    <form noValidate onSubmit={(event) => void submit(event)} data-order-id={order.id} data-version={order.version}>
      {left === 0 ? <p>Every unit of this order has shipped or been cancelled.</p> : null}
      <fieldset>
        <legend>{action === 'ship' ? 'Units to put in this parcel' : 'Units to cancel'}</legend>
        {order.items.map((item, index) => {
          const id = `${fieldId}-line-${index}`;
          return (
            <div className="units-line" key={item.sku} data-sku={item.sku}>
              <label htmlFor={id}>{item.name}</label>
              <input
                id={id}
                className="quantity"
                type="number"
                inputMode="numeric"
                min={0}
                step={1}
                value={quantities[item.sku] ?? ''}
                aria-describedby={`${id}-left`}
                onChange={(event) => setQuantities((current) => ({ ...current, [item.sku]: event.target.value }))}
              />
              <span id={`${id}-left`} className="hint" data-units-left={unitsLeft(item)}>
                {unitsLeft(item)} of {item.quantity} left
              </span>
            </div>
          );
        })}
      </fieldset>
      {action === 'ship' ? (
        <>
          <div className="field">
            <label htmlFor={`${fieldId}-carrier`}>Carrier</label>
            <input
              id={`${fieldId}-carrier`}
              value={carrier}
              autoComplete="off"
              onChange={(event) => setCarrier(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${fieldId}-tracking`}>Tracking number</label>
            <input
              id={`${fieldId}-tracking`}
              value={trackingNumber}
              autoComplete="off"
              onChange={(event) => setTrackingNumber(event.target.value)}
            />
          </div>
        </>
      ) : (
        <div className="field">
          <label htmlFor={`${fieldId}-reason`}>Reason (optional, the customer sees it)</label>
          <input
            id={`${fieldId}-reason`}
            value={reason}
            autoComplete="off"
            onChange={(event) => setReason(event.target.value)}
          />
        </div>
      )}
      {problem ? <ErrorMessage code={problem.code}>{problem.message}</ErrorMessage> : null}
      <div className="dialog-actions">
        <button type="submit" className={action === 'cancel' ? 'danger' : 'primary'} disabled={busy}>
          {TEXT[action].submit}
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}
