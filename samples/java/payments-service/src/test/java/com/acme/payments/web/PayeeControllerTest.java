package com.acme.payments.web;

import com.acme.payments.domain.Payee;
import com.acme.payments.exception.ConflictException;
import com.acme.payments.exception.ResourceNotFoundException;
import com.acme.payments.payeeService.PayeeService;
import com.acme.payments.web.dto.CreatePayeeRequest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.mock.mockito.MockBean;
import org.springframework.context.annotation.Bean;
import org.springframework.test.web.servlet.MockMvc;

import java.time.Clock;
import java.util.List;
import java.util.UUID;

import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

@WebMvcTest(PayeeController.class)
class PayeeControllerTest {

    /** The error handler stamps each error with the time. */
    @TestConfiguration
    static class Clocks {
        @Bean
        Clock utc() {
            return Clock.systemUTC();
        }
    }

    @Autowired
    private MockMvc mockMvc;

    @MockBean
    private PayeeService payeeService;

    private final UUID accountId = UUID.randomUUID();

    private Payee landlord() {
        return new Payee(accountId, "Oakwood Lettings", "123456", "87654321", "RENT");
    }

    @Test
    void listFiltersByNameIgnoringCase() throws Exception {
        Payee gym = new Payee(accountId, "City Gym", "112233", "11112222", "MEMBER 42");
        when(payeeService.listPayees(accountId)).thenReturn(List.of(landlord(), gym));

        mockMvc.perform(get("/accounts/{accountId}/payees", accountId).param("name", "GYM"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.length()").value(1))
                .andExpect(jsonPath("$[0].name").value("City Gym"));
    }

    @Test
    void addReturns201WithTheMaskedAccountNumber() throws Exception {
        when(payeeService.addPayee(eq(accountId), any(CreatePayeeRequest.class))).thenReturn(landlord());
        String body = """
                {"name": "Oakwood Lettings", "sortCode": "12-34-56",
                 "accountNumber": "87654321", "reference": "RENT"}
                """;

        mockMvc.perform(post("/accounts/{accountId}/payees", accountId)
                        .content(body).contentType("application/json"))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.sortCode").value("12-34-56"))
                .andExpect(jsonPath("$.accountNumberLast4").value("4321"));
    }

    @Test
    void addReturns400ForABadSortCode() throws Exception {
        String body = """
                {"name": "Oakwood Lettings", "sortCode": "12345", "accountNumber": "87654321"}
                """;

        mockMvc.perform(post("/accounts/{accountId}/payees", accountId)
                        .content(body).contentType("application/json"))
                .andExpect(status().is(400))
                .andExpect(jsonPath("$.problems[*].field", hasItem("sortCode")));
        verifyNoInteractions(payeeService);
    }

    @Test
    void getReturns404ForUnknownPayee() throws Exception {
        UUID unknown = UUID.randomUUID();
        when(payeeService.getPayee(accountId, unknown)).thenThrow(new ResourceNotFoundException("payee", unknown));

        mockMvc.perform(get("/accounts/{accountId}/payees/{payeeId}", accountId, unknown))
                .andExpect(status().is(404))
                .andExpect(jsonPath("$.code", is("PAYEE_NOT_FOUND")));
    }

    @Test
    void renamePassesTheNewNameToTheService() throws Exception {
        Payee payee = landlord();
        when(payeeService.renamePayee(accountId, payee.getId(), "Oakwood Homes")).thenReturn(payee);

        mockMvc.perform(patch("/accounts/{accountId}/payees/{payeeId}", accountId, payee.getId())
                        .content("{\"name\": \"Oakwood Homes\"}").contentType("application/json"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.id").value(payee.getId().toString()));
    }

    @Test
    void removeReturns409WhileAStandingOrderPaysThePayee() throws Exception {
        UUID payeeId = UUID.randomUUID();
        doThrow(new ConflictException("PAYEE_IN_USE", "cancel the standing orders first"))
                .when(payeeService).removePayee(accountId, payeeId);

        mockMvc.perform(delete("/accounts/{accountId}/payees/{payeeId}", accountId, payeeId))
                .andExpect(status().is(409))
                .andExpect(jsonPath("$.code", is("PAYEE_IN_USE")));
        verify(payeeService).removePayee(accountId, payeeId);
    }
}
