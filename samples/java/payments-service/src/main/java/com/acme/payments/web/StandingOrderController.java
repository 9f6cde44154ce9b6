package com.acme.payments.web;

import com.acme.payments.domain.StandingOrder;
import com.acme.payments.domain.StandingOrderStatus;
import com.acme.payments.service.PaymentScheduleCalculator;
import com.acme.payments.service.StandingOrderService;
import com.acme.payments.web.dto.AmendStandingOrderRequest;
import com.acme.payments.web.dto.CreateStandingOrderRequest;
import com.acme.payments.web.dto.PauseStandingOrderRequest;
import com.acme.payments.web.dto.StandingOrderResponse;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

import java.net.URI;
import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;

/**
 * REST endpoints for standing orders.
 */
@RestController
public class StandingOrderController {

    private final StandingOrderService service;
    private final PaymentScheduleCalculator calculator;
    private final Clock clock;

    public StandingOrderController(StandingOrderService service, PaymentScheduleCalculator calculator, Clock clock) {
        this.service = service;
        this.calculator = calculator;
        this.clock = clock;
    }

    /**
     * Sets up a standing order and answers 201 with its location.
     *
     * @param accountId the paying account
     * @param request   the order details
     * @return the created order
     */
    @PostMapping("/accounts/{accountId}/standing-orders")
    public ResponseEntity<StandingOrderResponse> create(@PathVariable UUID accountId,
                                                        @Valid @RequestBody CreateStandingOrderRequest request) {
        StandingOrder order = service.create(accountId, request);
        URI location = ServletUriComponentsBuilder.fromCurrentContextPath()
                .path("/standing-orders/{orderId}")
                .buildAndExpand(order.getId())
                .toUri();
        return ResponseEntity.created(location).body(StandingOrderResponse.from(order));
    }

    /**
     * Lists an account's standing orders, newest start date first.
     *
     * @param accountId the account
     * @param status    optional status filter
     * @param page      zero-based page number
     * @param size      page size, 1 to 100
     * @return one page of orders
     */
    @GetMapping("/accounts/{accountId}/standing-orders")
    public Page<StandingOrderResponse> list(@PathVariable UUID accountId,
                                            @RequestParam(required = false) StandingOrderStatus status,
                                            @RequestParam(defaultValue = "0") @Min(0) int page,
                                            @RequestParam(defaultValue = "20") @Min(1) @Max(100) int size) {
        PageRequest pageable = PageRequest.of(page, size, Sort.by(Sort.Direction.DESC, "startDate"));
        Page<StandingOrder> orders = service.listForAccount(accountId, status, pageable);
        return orders.map(StandingOrderResponse::from);
    }

    /** One standing order by id. */
    @GetMapping("/standing-orders/{orderId}")
    public StandingOrderResponse get(@PathVariable UUID orderId) {
        return StandingOrderResponse.from(service.getStandingOrder(orderId));
    }

    /** Changes the amount, end date or reference of an order. */
    @PatchMapping("/standing-orders/{orderId}")
    public StandingOrderResponse amend(@PathVariable UUID orderId,
                                       @Valid @RequestBody AmendStandingOrderRequest request) {
        return StandingOrderResponse.from(service.amend(orderId, request));
    }

    /** Pauses an active order until the given date. */
    @PostMapping("/standing-orders/{orderId}/pause")
    public StandingOrderResponse pause(@PathVariable UUID orderId,
                                       @Valid @RequestBody PauseStandingOrderRequest request) {
        return StandingOrderResponse.from(service.pause(orderId, request.until()));
    }

    /** Resumes a paused order. */
    @PostMapping("/standing-orders/{orderId}/resume")
    public StandingOrderResponse resume(@PathVariable UUID orderId) {
        return StandingOrderResponse.from(service.resume(orderId));
    }

    /**
     * Cancels an order; answers 204 because a cancelled order is no longer listed by default.
     *
     * @param orderId the order id
     * @return an empty 204 response
     */
    @DeleteMapping("/standing-orders/{orderId}")
    public ResponseEntity<Void> cancel(@PathVariable UUID orderId) {
        service.cancel(orderId);
        return ResponseEntity.noContent().build();
    }

    /**
     * The next execution dates of an order, moved to business days.
     *
     * @param orderId the order id
     * @param count   how many dates, 1 to 24
     * @return the dates in order
     */
    @GetMapping("/standing-orders/{orderId}/schedule")
    public List<LocalDate> schedule(@PathVariable UUID orderId,
                                    @RequestParam(defaultValue = "6") @Min(1) @Max(24) int count) {
        StandingOrder order = service.getStandingOrder(orderId);
        if (order.getStatus().isTerminal()) {
            return List.of();
        }
        LocalDate from = LocalDate.now(clock);
        if (order.getPausedUntil() != null && order.getPausedUntil().isAfter(from)) {
            from = order.getPausedUntil();
        }
        return calculator.upcomingExecutionDates(order, from, count);
    }
}
