package com.acme.payments.service;

import com.acme.payments.domain.Account;
import com.acme.payments.domain.Money;
import com.acme.payments.exception.BusinessRuleException;
import com.acme.payments.repository.AccountRepository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mockito.InjectMocks;
import org.mockito.Mock;
import org.mockito.junit.jupiter.MockitoExtension;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

@ExtendWith(MockitoExtension.class)
class AccountServiceTest {

    @Mock
    private AccountRepository accounts;

    @InjectMocks
    private AccountService service;

    private final UUID customerId = UUID.randomUUID();

    private Account newAccount(String number) {
        return new Account(customerId, "123456", number, "GBP");
    }

    @Test
    void changeOverdraftLimitRejectsAboveMaximum() {
        Money tooMuch = Money.of(new BigDecimal("5000.01"), "GBP");

        assertThatThrownBy(() -> service.changeOverdraftLimit(UUID.randomUUID(), tooMuch))
                .isInstanceOf(BusinessRuleException.class)
                .extracting("code").isEqualTo("OVERDRAFT_LIMIT_OUT_OF_RANGE");
        verifyNoInteractions(accounts);
    }

    @Test
    void renameTrimsTheNickname() {
        Account account = newAccount("12345678");
        when(accounts.findById(account.getId())).thenReturn(Optional.of(account));

        service.rename(account.getId(), "  Bills pot ");

        assertThat(account.getNickname()).isEqualTo("Bills pot");
    }

    @Test
    void renameRejectsBlankNickname() {
        assertThatThrownBy(() -> service.rename(UUID.randomUUID(), "   "))
                .isInstanceOf(BusinessRuleException.class)
                .extracting("code").isEqualTo("INVALID_NICKNAME");
    }

    @Test
    void withdrawRejectsOtherCurrency() {
        Account account = newAccount("12345678");
        when(accounts.findById(account.getId())).thenReturn(Optional.of(account));

        assertThatThrownBy(() -> service.withdraw(account.getId(), Money.of(BigDecimal.TEN, "EUR")))
                .isInstanceOf(BusinessRuleException.class)
                .extracting("code").isEqualTo("CURRENCY_MISMATCH");
    }

    @Test
    void listForCustomerSkipsClosedAccounts() {
        Account open = newAccount("12345678");
        Account closed = newAccount("23456789");
        closed.close();
        when(accounts.findByCustomerIdOrderByNicknameAsc(customerId)).thenReturn(List.of(open, closed));

        assertThat(service.listForCustomer(customerId)).containsExactly(open);
    }
}
