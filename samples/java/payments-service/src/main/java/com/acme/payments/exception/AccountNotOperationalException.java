package com.acme.payments.exception;

import com.acme.payments.domain.AccountStatus;

import java.util.UUID;

/**
 * The account is frozen or closed and cannot take part in the payment.
 */
public class AccountNotOperationalException extends BusinessRuleException {

    public AccountNotOperationalException(UUID accountId, AccountStatus status) {
        super("ACCOUNT_NOT_OPERATIONAL", "account " + accountId + " is " + status);
    }
}
