Feature: Save payees
  As an account holder
  I want to save the people and businesses I pay
  So that I do not have to type their bank details every time

  Scenario: Add a new payee
    Given I am on the payees page of my current account
    When I add the payee "City Gym" with sort code 12-34-56 and account number 11223344
    Then "City Gym" appears in my list of payees
    And only the last four digits of the account number are shown

  Scenario: Refuse a duplicate payee
    Given I already have a payee with sort code 12-34-56 and account number 11223344
    When I add another payee with the same sort code and account number
    Then I see the error "a payee with these bank details already exists"

  Scenario: Warn when the name does not match the account
    Given the receiving bank holds the name "Oakwood Lettings Ltd" for the account
    When I add the payee "Oak Wood Letting"
    Then I am warned that the name does not match
    And the payee is saved as not verified

  Scenario: Keep a payee that a standing order still pays
    Given an active standing order pays "City Gym"
    When I try to delete the payee "City Gym"
    Then I see the error "cancel the standing orders to City Gym first"
    And "City Gym" stays in my list of payees
