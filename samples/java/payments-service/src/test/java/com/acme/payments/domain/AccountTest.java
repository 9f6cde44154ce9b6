package com.acme.payments.domain;

import com.acme.payments.exception.AccountNotOperationalException;
import com.acme.payments.exception.InsufficientFundsException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AccountTest {

    private Account account;

    private static Money gbp(String amount) {
        return Money.of(new BigDecimal(amount), "GBP");
    }

    @BeforeEach
    void setUp() {
        account = new Account(UUID.randomUUID(), "123456", "12345678", "GBP");
    }

    @Test
    void debitReducesBalance() {
        account.credit(gbp("100.00"));

        account.debit(gbp("30.00"));

        assertThat(account.getBalance()).isEqualTo(gbp("70.00"));
    }

    @Test
    void debitMayUseArrangedOverdraft() {
        account.setOverdraftLimit(gbp("100.00"));
        account.credit(gbp("50.00"));

        account.debit(gbp("120.00"));

        assertThat(account.getBalance()).isEqualTo(gbp("-70.00"));
        assertThat(account.availableFunds()).isEqualTo(gbp("30.00"));
    }

    @Test
    void debitRejectsWhenFundsAreShort() {
        account.credit(gbp("20.00"));

        assertThatThrownBy(() -> account.debit(gbp("20.01")))
                .isInstanceOf(InsufficientFundsException.class);
        assertThat(account.getBalance()).isEqualTo(gbp("20.00"));
    }

    @Test
    void creditIsRejectedOnClosedAccount() {
        account.close();

        assertThatThrownBy(() -> account.credit(gbp("5.00")))
                .isInstanceOf(AccountNotOperationalException.class);
    }

    @Test
    void closeRequiresZeroBalance() {
        account.credit(gbp("0.01"));

        assertThatThrownBy(account::close).isInstanceOf(IllegalStateException.class);
        assertThat(account.getStatus()).isEqualTo(AccountStatus.OPEN);
    }

    @Test
    void maskedAccountNumberShowsLastFourDigits() {
        assertThat(account.maskedAccountNumber()).isEqualTo("****5678");
    }
}
