import { Field, Int, ObjectType } from 'type-graphql';
import { toMoney } from '../money.js';

@ObjectType('Money', {
  description: 'An amount of money: a decimal string for display, integer minor units for arithmetic.',
})
export class MoneyType {
  @Field({ description: 'Decimal amount in major units, e.g. "12.50".' })
  amount!: string;

  @Field({ description: 'ISO 4217 currency code.' })
  currencyCode!: string;

  @Field(() => Int, { description: 'The amount in the currency’s minor units, e.g. 1250.' })
  minorUnits!: number;

  static of(minorUnits: number, currencyCode: string): MoneyType {
    return Object.assign(new MoneyType(), toMoney(minorUnits, currencyCode));
  }
}
