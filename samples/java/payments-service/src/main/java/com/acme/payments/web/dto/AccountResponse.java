package com.acme.payments.web.dto;

import com.acme.payments.domain.Account;
import com.acme.payments.domain.AccountStatus;

import java.math.BigDecimal;
import java.util.UUID;

/**
 * An account as returned by the API.
 */
public record AccountResponse(UUID id, UUID customerId, String nickname, String sortCode,
                              String maskedAccountNumber, BigDecimal balance,
                              BigDecimal availableFunds, String currency, AccountStatus status) {

    /**
     * Maps the entity to its API representation.
     *
     * @param account the account
     * @return the response body
     */
    public static AccountResponse from(Account account) {
        return new AccountResponse(account.getId(), account.getCustomerId(), account.getNickname(),
                account.getSortCode(), account.maskedAccountNumber(),
                account.getBalance().getAmount(), account.availableFunds().getAmount(),
                account.getBalance().getCurrency(), account.getStatus());
    }
}
