package com.acme.payments.service;

import com.acme.payments.domain.Account;
import com.acme.payments.domain.Frequency;
import com.acme.payments.domain.Money;
import com.acme.payments.domain.Payee;
import com.acme.payments.domain.Payment;
import com.acme.payments.domain.PaymentStatus;
import com.acme.payments.domain.StandingOrder;
import com.acme.payments.domain.StandingOrderStatus;
import com.acme.payments.exception.BusinessRuleException;
import com.acme.payments.exception.InsufficientFundsException;
import com.acme.payments.exception.ResourceNotFoundException;
import com.acme.payments.repository.PaymentRepository;
import com.acme.payments.repository.StandingOrderRepository;
import com.acme.payments.web.dto.AmendStandingOrderRequest;
import com.acme.payments.web.dto.CreateStandingOrderRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mockito.Mock;
import org.mockito.junit.jupiter.MockitoExtension;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

@ExtendWith(MockitoExtension.class)
class StandingOrderServiceTest {

    private static final LocalDate TODAY = LocalDate.of(2026, 3, 2);

    @Mock
    private StandingOrderRepository orders;
    @Mock
    private PaymentRepository payments;
    @Mock
    private PayeeService payeeService;
    @Mock
    private AccountService accountService;
    @Mock
    private NotificationService notifications;

    private StandingOrderService service;
    private final UUID accountId = UUID.randomUUID();
    private final Payee landlord = new Payee(accountId, "Oakwood Lettings", "123456", "87654321", "RENT");

    @BeforeEach
    void setUp() {
        Clock clock = Clock.fixed(Instant.parse("2026-03-02T09:00:00Z"), ZoneOffset.UTC);
        PaymentScheduleCalculator calculator = new PaymentScheduleCalculator(new BusinessDayCalendar());
        service = new StandingOrderService(orders, payments, payeeService, accountService, calculator,
                new PaymentReferenceValidator(), notifications, clock);
    }

    private CreateStandingOrderRequest request(String amount, LocalDate start, String reference) {
        return new CreateStandingOrderRequest(landlord.getId(), new BigDecimal(amount), "GBP",
                Frequency.MONTHLY, start, null, reference);
    }

    private StandingOrder rentOrder(UUID payerAccount) {
        return new StandingOrder(payerAccount, landlord, Money.of(new BigDecimal("850.00"), "GBP"),
                Frequency.MONTHLY, TODAY, "RENT");
    }

    @Test
    void createRejectsNegativeAmount() {
        assertThatThrownBy(() -> service.create(accountId, request("-5.00", TODAY, "RENT")))
                .isInstanceOf(BusinessRuleException.class)
                .extracting("code").isEqualTo("INVALID_AMOUNT");
        verify(orders, never()).save(any());
    }

    @Test
    void createRejectsStartDateInThePast() {
        assertThatThrownBy(() -> service.create(accountId, request("850.00", TODAY.minusDays(1), "RENT")))
                .isInstanceOf(BusinessRuleException.class)
                .extracting("code").isEqualTo("START_DATE_IN_PAST");
    }

    @Test
    void createSavesOrderWithNormalisedReference() {
        when(payeeService.getPayee(accountId, landlord.getId())).thenReturn(landlord);
        when(orders.save(any(StandingOrder.class))).thenAnswer(invocation -> invocation.getArgument(0));

        StandingOrder order = service.create(accountId, request("850", TODAY, " flat 2  rent "));

        assertThat(order.getReference()).isEqualTo("FLAT 2 RENT");
        assertThat(order.getNextPaymentDate()).isEqualTo(TODAY);
        assertThat(order.getAmount()).isEqualTo(Money.of(new BigDecimal("850.00"), "GBP"));
    }

    @Test
    void amendChangesOnlyTheGivenFields() {
        StandingOrder order = rentOrder(accountId);
        when(orders.findById(order.getId())).thenReturn(Optional.of(order));

        service.amend(order.getId(), new AmendStandingOrderRequest(new BigDecimal("875.00"), null, null));

        assertThat(order.getAmount()).isEqualTo(Money.of(new BigDecimal("875.00"), "GBP"));
        assertThat(order.getReference()).isEqualTo("RENT");
        assertThat(order.getEndDate()).isNull();
    }

    @Test
    void pauseNotifiesTheCustomer() {
        StandingOrder order = rentOrder(accountId);
        when(orders.findById(order.getId())).thenReturn(Optional.of(order));

        service.pause(order.getId(), LocalDate.of(2026, 9, 1));

        assertThat(order.getStatus()).isEqualTo(StandingOrderStatus.PAUSED);
        verify(notifications).standingOrderPaused(order);
    }

    @Test
    void executeDuePaymentsRecordsFailureAndCarriesOn() {
        StandingOrder unfunded = rentOrder(UUID.randomUUID());
        StandingOrder funded = rentOrder(UUID.randomUUID());
        when(orders.findDue(TODAY)).thenReturn(List.of(unfunded, funded));
        when(accountService.withdraw(unfunded.getAccountId(), unfunded.getAmount()))
                .thenThrow(new InsufficientFundsException(unfunded.getAccountId(), unfunded.getAmount(),
                        Money.zero("GBP")));
        when(accountService.withdraw(funded.getAccountId(), funded.getAmount()))
                .thenReturn(new Account(UUID.randomUUID(), "123456", "12345678", "GBP"));
        when(payments.save(any(Payment.class))).thenAnswer(invocation -> invocation.getArgument(0));

        List<Payment> result = service.executeDuePayments(TODAY);

        assertThat(result).extracting(Payment::getStatus)
                .containsExactly(PaymentStatus.FAILED, PaymentStatus.SUCCEEDED);
        assertThat(result.get(0).getFailureReason()).isEqualTo("INSUFFICIENT_FUNDS");
        assertThat(funded.getNextPaymentDate()).isEqualTo(LocalDate.of(2026, 4, 2));
        verify(notifications).paymentFailed(eq(unfunded), any(Payment.class));
    }

    @Test
    void getStandingOrderThrowsWhenMissing() {
        UUID unknown = UUID.randomUUID();
        when(orders.findById(unknown)).thenReturn(Optional.empty());

        assertThatThrownBy(() -> service.getStandingOrder(unknown))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining(unknown.toString());
    }
}
