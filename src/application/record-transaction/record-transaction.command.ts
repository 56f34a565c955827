import { Transaction } from '../../domain/profile/profile.events';
import { ProfileRef } from '../shared/profile-ref';

export class RecordTransactionCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly transaction: Transaction,
    readonly source = 'api.v2.set_transaction',
  ) {}
}
