Feature: Pay in a cheque with my phone
  As a customer who still gets paid by cheque
  I want to pay in a cheque by taking a photo of it
  So that I do not have to visit a branch

  Scenario: Pay in a clear photo
    Given a cheque for 75.00 GBP made out to me
    When I photograph the front of the cheque in the app
    Then the cheque is paid in and the money is available the next working day

  Scenario: Ask again for a blurry photo
    Given a photo of a cheque whose amount cannot be read
    When I send the photo
    Then I am asked to take the photo again in better light

  Scenario: Daily limit for cheques
    Given I paid in cheques for 1900.00 GBP today
    When I pay in a cheque of 200.00 GBP
    Then I see the error "pay in cheques over 2000.00 GBP a day at a branch"
