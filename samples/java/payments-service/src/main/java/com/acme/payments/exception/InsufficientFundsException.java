package com.acme.payments.exception;

import com.acme.payments.domain.Money;

import java.util.UUID;

/**
 * The account cannot cover a payment, even with its overdraft.
 */
public class InsufficientFundsException extends BusinessRuleException {

    public InsufficientFundsException(UUID accountId, Money requested, Money available) {
        super("INSUFFICIENT_FUNDS",
                "account " + accountId + " cannot pay " + requested + "; available " + available);
    }
}
