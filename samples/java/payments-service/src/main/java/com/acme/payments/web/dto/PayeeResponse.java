package com.acme.payments.web.dto;

import com.acme.payments.domain.Payee;

import java.util.UUID;

/**
 * A payee as returned by the API, with the account number masked.
 */
public record PayeeResponse(UUID id, UUID accountId, String name, String sortCode,
                            String accountNumberLast4, String reference, boolean verified) {

    /**
     * Maps the entity to its API representation.
     *
     * @param payee the payee
     * @return the response body
     */
    public static PayeeResponse from(Payee payee) {
        String number = payee.getAccountNumber();
        String last4 = number.substring(Math.max(0, number.length() - 4));
        String sortCode = payee.getSortCode().replaceAll("(\\d{2})(\\d{2})(\\d{2})", "$1-$2-$3");
        return new PayeeResponse(payee.getId(), payee.getAccountId(), payee.getName(),
                sortCode, last4, payee.getReference(), payee.isVerified());
    }
}
