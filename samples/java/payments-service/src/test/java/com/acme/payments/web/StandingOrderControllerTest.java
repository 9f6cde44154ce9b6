package com.acme.payments.web;

import com.acme.payments.domain.Frequency;
import com.acme.payments.domain.Money;
import com.acme.payments.domain.Payee;
import com.acme.payments.domain.StandingOrder;
import com.acme.payments.domain.StandingOrderStatus;
import com.acme.payments.exception.InvalidStatusTransitionException;
import com.acme.payments.exception.ResourceNotFoundException;
import com.acme.payments.service.PaymentScheduleCalculator;
import com.acme.payments.service.StandingOrderService;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.mock.mockito.MockBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.UUID;

import static org.hamcrest.Matchers.endsWith;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

@WebMvcTest(StandingOrderController.class)
class StandingOrderControllerTest {

    @TestConfiguration
    static class FixedClock {
        @Bean
        @Primary
        Clock fixedClock() {
            return Clock.fixed(Instant.parse("2026-03-02T09:00:00Z"), ZoneOffset.UTC);
        }
    }

    @Autowired
    private MockMvc mvc;

    @MockBean
    private StandingOrderService service;

    @MockBean
    private PaymentScheduleCalculator calculator;

    private final UUID accountId = UUID.randomUUID();

    private StandingOrder rentOrder() {
        Payee landlord = new Payee(accountId, "Oakwood Lettings", "123456", "87654321", "RENT");
        return new StandingOrder(accountId, landlord, Money.of(new BigDecimal("850.00"), "GBP"),
                Frequency.MONTHLY, LocalDate.of(2026, 3, 15), "RENT");
    }

    @Test
    void createReturns201WithLocation() throws Exception {
        StandingOrder order = rentOrder();
        when(service.create(eq(accountId), any())).thenReturn(order);
        String body = """
                {"payeeId": "%s", "amount": 850.00, "currency": "GBP",
                 "frequency": "MONTHLY", "startDate": "2026-03-15", "reference": "RENT"}
                """.formatted(order.getPayee().getId());

        mvc.perform(post("/accounts/{accountId}/standing-orders", accountId)
                        .contentType(MediaType.APPLICATION_JSON).content(body))
                .andExpect(status().isCreated())
                .andExpect(header().string("Location", endsWith("/standing-orders/" + order.getId())))
                .andExpect(jsonPath("$.status").value("ACTIVE"))
                .andExpect(jsonPath("$.payeeName").value("Oakwood Lettings"));
    }

    @Test
    void createReturns400WhenAmountIsMissing() throws Exception {
        String body = """
                {"payeeId": "%s", "currency": "GBP", "frequency": "MONTHLY", "startDate": "2026-03-15"}
                """.formatted(UUID.randomUUID());

        mvc.perform(post("/accounts/{accountId}/standing-orders", accountId)
                        .contentType(MediaType.APPLICATION_JSON).content(body))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.code").value("VALIDATION_FAILED"))
                .andExpect(jsonPath("$.problems[0].field").value("amount"));
        verifyNoInteractions(service);
    }

    @Test
    void getReturns404ForUnknownOrder() throws Exception {
        UUID unknown = UUID.randomUUID();
        when(service.getStandingOrder(unknown)).thenThrow(new ResourceNotFoundException("standing order", unknown));

        mvc.perform(get("/standing-orders/{orderId}", unknown))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.code").value("STANDING_ORDER_NOT_FOUND"));
    }

    @Test
    void pauseReturns409WhenOrderIsCancelled() throws Exception {
        UUID orderId = UUID.randomUUID();
        when(service.pause(eq(orderId), any()))
                .thenThrow(new InvalidStatusTransitionException(orderId,
                        StandingOrderStatus.CANCELLED, StandingOrderStatus.PAUSED));

        mvc.perform(post("/standing-orders/{orderId}/pause", orderId)
                        .contentType(MediaType.APPLICATION_JSON).content("{\"until\": \"2030-09-01\"}"))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.code").value("INVALID_STATUS_TRANSITION"));
    }

    @Test
    void cancelReturns204() throws Exception {
        UUID orderId = UUID.randomUUID();

        mvc.perform(delete("/standing-orders/{orderId}", orderId))
                .andExpect(status().isNoContent());
        verify(service).cancel(orderId);
    }

    @Test
    void scheduleIsEmptyForCancelledOrder() throws Exception {
        StandingOrder order = rentOrder();
        order.cancel();
        when(service.getStandingOrder(order.getId())).thenReturn(order);

        mvc.perform(get("/standing-orders/{orderId}/schedule", order.getId()))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.length()").value(0));
        verifyNoInteractions(calculator);
    }
}
