package com.acme.payments.service;

import com.acme.payments.domain.Payee;
import com.acme.payments.exception.ConflictException;
import com.acme.payments.repository.PayeeRepository;
import com.acme.payments.repository.StandingOrderRepository;
import com.acme.payments.web.dto.CreatePayeeRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mockito.Mock;
import org.mockito.junit.jupiter.MockitoExtension;

import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

@ExtendWith(MockitoExtension.class)
class PayeeServiceTest {

    @Mock
    private PayeeRepository payees;
    @Mock
    private StandingOrderRepository standingOrders;
    @Mock
    private AccountService accountService;

    private PayeeService service;
    private final UUID accountId = UUID.randomUUID();

    @BeforeEach
    void setUp() {
        service = new PayeeService(payees, standingOrders, accountService, new PaymentReferenceValidator());
    }

    @Test
    void addPayeeRejectsDuplicateDestination() {
        when(payees.existsByAccountIdAndSortCodeAndAccountNumber(accountId, "123456", "87654321")).thenReturn(true);
        CreatePayeeRequest request = new CreatePayeeRequest("Oakwood Lettings", "12-34-56", "87654321", null);

        assertThatThrownBy(() -> service.addPayee(accountId, request))
                .isInstanceOf(ConflictException.class)
                .extracting("code").isEqualTo("DUPLICATE_PAYEE");
        verify(payees, never()).save(any());
    }

    @Test
    void addPayeeNormalisesSortCodeAndReference() {
        when(payees.save(any(Payee.class))).thenAnswer(invocation -> invocation.getArgument(0));
        CreatePayeeRequest request = new CreatePayeeRequest(" City Gym ", "12-34-56", "11223344", "gym  membership");

        Payee payee = service.addPayee(accountId, request);

        assertThat(payee.getName()).isEqualTo("City Gym");
        assertThat(payee.getSortCode()).isEqualTo("123456");
        assertThat(payee.getReference()).isEqualTo("GYM MEMBERSHIP");
    }

    @Test
    void removePayeeIsRejectedWhileOrdersAreLive() {
        Payee payee = new Payee(accountId, "Oakwood Lettings", "123456", "87654321", "RENT");
        when(payees.findByIdAndAccountId(payee.getId(), accountId)).thenReturn(Optional.of(payee));
        when(standingOrders.existsByPayeeIdAndStatusIn(eq(payee.getId()), anyList())).thenReturn(true);

        assertThatThrownBy(() -> service.removePayee(accountId, payee.getId()))
                .isInstanceOf(ConflictException.class)
                .extracting("code").isEqualTo("PAYEE_IN_USE");
        verify(payees, never()).delete(any());
    }

    @Test
    void renamePayeeClearsVerification() {
        Payee payee = new Payee(accountId, "Oakwood Lettings", "123456", "87654321", "RENT");
        assertThat(payee.confirmName("OAKWOOD LETTINGS.")).isTrue();
        when(payees.findByIdAndAccountId(payee.getId(), accountId)).thenReturn(Optional.of(payee));

        Payee renamed = service.renamePayee(accountId, payee.getId(), "Oakwood Lettings Ltd ");

        assertThat(renamed.getName()).isEqualTo("Oakwood Lettings Ltd");
        assertThat(renamed.isVerified()).isFalse();
    }
}
